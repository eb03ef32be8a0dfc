/* A tail jump (J) to an import. */
	.text
	.global module_init
	.align 4
module_init:
	j fw_func
