# diff_import.S - a label difference involving an import (ADD32/SUB32).
    .option relax
    .text
    .globl module_init
module_init:
    ret
here:
    .data
    .word fw_value - here
