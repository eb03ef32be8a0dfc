# winspill.s - does qemu-xtensa user mode spill and reload register windows
# correctly? (tests/xtensa: windowed.spill.xtensa, under -cpu dc233c)
#
# Three functions call each other 30 deep in turn with CALL12, CALL4 and
# CALL8, far past the 64 physical registers, so window overflow and
# underflow exceptions of all three sizes happen. Each keeps a value in the
# highest register its call preserves (a11, a3, a7: saved by the spill into
# the extra or base save areas) and adds it to the result after the call.
# r8(n) = 4n + r12(n-1), r12(n) = 6n + r4(n-1), r4(n) = 10n + r8(n-1),
# r(0) = 0: r8(30) = 3040. Exit status 0 only for that result.
#
# Written with the windowed mnemonics and passed through winasm.py, so this
# also runs each of its rewrites (entry, retw, retw.n, callx4, call4, call8,
# call12) once.

  .text
  .global _start
  .align 4
_start:
  movi a0, 0                 # the outermost frame
  movi a4, main
  callx4 a4                  # a call4 frame spills only into its callee's frame
  mov a6, a6                 # main's result (its a2) is our a6
  movi a2, 119               # exit_group(a6)
  syscall
  ill

  .align 4
main:
  entry a1, 32
  movi a10, 30
  call8 r8
  movi a3, 3040
  sub a2, a10, a3            # 0 when right
  beqz a2, 1f
  movi a2, 1
1:
  retw

  .align 4
r8:                          # called by call8, calls with call12
  entry a1, 48
  beqz a2, 1f
  addx2 a11, a2, a2          # 3n
  addi a14, a2, -1
  call12 r12
  add a2, a2, a14
  add a2, a2, a11
  retw
1:
  retw

  .align 4
r12:                         # called by call12, calls with call4
  entry a1, 32
  beqz a2, 1f
  addx4 a3, a2, a2           # 5n
  addi a6, a2, -1
  call4 r4
  add a2, a2, a6
  add a2, a2, a3
1:
  retw.n

  .align 4
r4:                          # called by call4, calls with call8
  entry a1, 32
  beqz a2, 1f
  addx8 a7, a2, a2           # 9n
  addi a10, a2, -1
  movi a9, r8
  callx8 a9
  add a2, a2, a10
  add a2, a2, a7
1:
  retw.n
