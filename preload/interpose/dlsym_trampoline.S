/* npuprobe's public dlsym. Written in assembly for one reason: dlsym(RTLD_NEXT, name) resolves
 * "next" from its caller's return address, so that request must reach the real dlsym with the
 * original caller's return address intact: a tail jump, never a call (docs/interposition.md: HAMi,
 * LLVM OpenMP). Every other handle goes to npuprobe_dlsym_lookup(handle, name, caller). */

#if defined(__x86_64__)
        .text
        .globl  dlsym
        .type   dlsym, @function
        .hidden npuprobe_dlsym_lookup
        .hidden npuprobe_resolve_real_dlsym
        .hidden npuprobe_real_dlsym_ptr
dlsym:
        .cfi_startproc
#if defined(__CET__)
        endbr64
#endif
        cmpq    $-1, %rdi                     /* RTLD_NEXT */
        je      1f
        movq    (%rsp), %rdx                  /* the caller's return address */
        jmp     npuprobe_dlsym_lookup
1:      movq    npuprobe_real_dlsym_ptr(%rip), %rax
        testq   %rax, %rax
        jz      2f
        jmp     *%rax
2:      pushq   %rdi                          /* first use: resolve, keeping the arguments */
        .cfi_adjust_cfa_offset 8
        pushq   %rsi
        .cfi_adjust_cfa_offset 8
        subq    $8, %rsp                      /* 16-byte alignment for the call */
        .cfi_adjust_cfa_offset 8
        call    npuprobe_resolve_real_dlsym
        addq    $8, %rsp
        .cfi_adjust_cfa_offset -8
        popq    %rsi
        .cfi_adjust_cfa_offset -8
        popq    %rdi
        .cfi_adjust_cfa_offset -8
        testq   %rax, %rax
        jz      3f
        jmp     *%rax
3:      ret                                   /* no dlsym at all: NULL */
        .cfi_endproc
        .size   dlsym, .-dlsym

#elif defined(__aarch64__)
        .text
        .globl  dlsym
        .type   dlsym, %function
        .hidden npuprobe_dlsym_lookup
        .hidden npuprobe_resolve_real_dlsym
        .hidden npuprobe_real_dlsym_ptr
        .p2align 2
dlsym:
        .cfi_startproc
        cmn     x0, #1                        /* RTLD_NEXT */
        b.eq    1f
        mov     x2, x30                       /* the caller's return address */
        b       npuprobe_dlsym_lookup
1:      adrp    x16, npuprobe_real_dlsym_ptr
        ldr     x16, [x16, :lo12:npuprobe_real_dlsym_ptr]
        cbz     x16, 2f
        br      x16
2:      stp     x29, x30, [sp, #-32]!
        .cfi_def_cfa_offset 32
        .cfi_offset 29, -32
        .cfi_offset 30, -24
        mov     x29, sp
        stp     x0, x1, [sp, #16]
        bl      npuprobe_resolve_real_dlsym
        mov     x16, x0
        ldp     x0, x1, [sp, #16]
        ldp     x29, x30, [sp], #32
        .cfi_def_cfa_offset 0
        .cfi_restore 29
        .cfi_restore 30
        cbz     x16, 3f
        br      x16
3:      mov     x0, #0
        ret
        .cfi_endproc
        .size   dlsym, .-dlsym
#else
#error "npuprobe's dlsym trampoline supports x86-64 and aarch64"
#endif

        .section .note.GNU-stack, "", %progbits
