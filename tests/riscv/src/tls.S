# tls.S - a TLS local-exec access (R_RISCV_TPREL_*) to a firmware variable.
    .text
    .globl module_init
module_init:
    lui a5, %tprel_hi(fw_tls)
    add a5, a5, tp, %tprel_add(fw_tls)
    lw a0, %tprel_lo(fw_tls)(a5)
    ret
