/* xtlinux.h - what the Xtensa harness needs from Linux beyond semihost.h:
 * anonymous memory mappings (qemu-xtensa user mode stands in for an
 * ESP8266's IRAM and DRAM), and the integer division helpers that the
 * ESP8266 keeps in ROM (the lx106 libgcc has only __modsi3), which the
 * firmware exports to modules. */
#ifndef XTLINUX_H
#define XTLINUX_H

#include <stdint.h>

#define XT_PROT_READ  1
#define XT_PROT_WRITE 2
#define XT_PROT_EXEC  4

/* mmap2(hint, len, prot, MAP_PRIVATE | MAP_ANONYMOUS): the mapping, or 0. */
void *xt_map(void *hint, uint32_t len, int prot);
int xt_unmap(void *p, uint32_t len);
int xt_protect(void *p, uint32_t len, int prot);

/* The division helpers of the ESP8266 ROM, here in C. */
uint32_t __udivsi3(uint32_t a, uint32_t b);
uint32_t __umodsi3(uint32_t a, uint32_t b);
int32_t __divsi3(int32_t a, int32_t b);

#endif
