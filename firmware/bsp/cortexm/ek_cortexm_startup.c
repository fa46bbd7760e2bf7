/* Cortex-M reset and exit for the bare-metal boards (QEMU, STM32, nRF52, RP2040, i.MX RT):
 * vector table, .data/.bss/arena set-up, FPU/MVE enable, main(). Under QEMU
 * (ek_bsp_emulated()) the exit is a semihosting call so QEMU ends with main's status; on
 * silicon there is no debugger to answer it (BKPT would lock the core up), so a real board
 * flushes its UART and parks. */
#include <stdint.h>
#include <string.h>

#include "ek_bsp.h"

int main(void);

/* Symbols from ek_cortexm_sections.ld. */
extern uint32_t __stack_top;
extern uint32_t __data_load, __data_start, __data_end, __bss_start, __bss_end;
extern uint32_t __arena_start, __arena_end;
extern void (*__init_array_start[])(void);
extern void (*__init_array_end[])(void);

void ek_reset_handler(void);
void ek_fault_handler(void);
/* A BSP that extends the 24-bit SysTick counter defines this; otherwise it is a fault. */
void ek_systick_handler(void) __attribute__((weak, alias("ek_fault_handler")));

/* Only the 16 system exceptions: the BSPs poll their UARTs and enable no device
 * interrupt (SysTick is a system exception). */
__attribute__((section(".vectors"), used)) static void *const ek_vectors[16] = {
    (void *)&__stack_top,
    (void *)ek_reset_handler,
    (void *)ek_fault_handler, /* NMI */
    (void *)ek_fault_handler, /* HardFault */
    (void *)ek_fault_handler, /* MemManage */
    (void *)ek_fault_handler, /* BusFault */
    (void *)ek_fault_handler, /* UsageFault */
    (void *)ek_fault_handler, /* SecureFault (v8-M) */
    0, 0, 0,
    (void *)ek_fault_handler, /* SVCall */
    (void *)ek_fault_handler, /* DebugMon */
    0,
    (void *)ek_fault_handler, /* PendSV */
    (void *)ek_systick_handler, /* SysTick */
};

#define EK_SCB_CPACR (*(volatile uint32_t *)0xE000ED88u)
#define EK_SCB_VTOR (*(volatile uint32_t *)0xE000ED08u)

/* A fault ends QEMU with a distinct status instead of hanging the test that runs it. */
#define EK_EXIT_FAULT 99

static void ek_enable_fpu(void)
{
#if defined(__ARM_FP) || defined(__ARM_FEATURE_MVE)
    /* CP10 and CP11 full access: the FPU (and Helium on the M55) share them. */
    EK_SCB_CPACR |= (0xFu << 20);
    __asm__ volatile("dsb\n\tisb" ::: "memory");
#endif
}

void ek_reset_handler(void)
{
    /* A bootloader (Nano 33 BLE, RP2040 boot2) may have started us from elsewhere. */
    EK_SCB_VTOR = (uint32_t)(uintptr_t)ek_vectors;
    ek_enable_fpu();
    memcpy(&__data_start, &__data_load,
           (size_t)((uintptr_t)&__data_end - (uintptr_t)&__data_start));
    memset(&__bss_start, 0, (size_t)((uintptr_t)&__bss_end - (uintptr_t)&__bss_start));
    /* The arena has its own section (it may live in another RAM region than .bss). */
    memset(&__arena_start, 0, (size_t)((uintptr_t)&__arena_end - (uintptr_t)&__arena_start));
    for (void (**fn)(void) = __init_array_start; fn < __init_array_end; ++fn) {
        (*fn)();
    }
    ek_bsp_exit(main());
}

void ek_fault_handler(void)
{
    ek_bsp_exit(EK_EXIT_FAULT);
}

/* ARM semihosting: SYS_EXIT_EXTENDED (0x20) carries an exit status on A32/T32;
 * QEMU needs -semihosting-config enable=on,target=native. */
#define EK_SEMI_SYS_EXIT_EXTENDED 0x20u
#define EK_SEMI_APPLICATION_EXIT 0x20026u

/* The status stays in a variable a debugger can read. */
volatile int ek_exit_status;

void ek_bsp_exit(int code)
{
    ek_exit_status = code;
    ek_bsp_flush();
    /* Asked at run time: an STM32 image learns only when it starts whether it runs in
     * QEMU (its DWT does not count there), and the same ELF must do both. */
    if (ek_bsp_emulated()) {
        volatile uint32_t block[2] = {EK_SEMI_APPLICATION_EXIT, (uint32_t)code};
        register uint32_t r0 __asm__("r0") = EK_SEMI_SYS_EXIT_EXTENDED;
        register volatile uint32_t *r1 __asm__("r1") = block;
        __asm__ volatile("bkpt 0xab" : : "r"(r0), "r"(r1) : "memory");
    }
    for (;;) {
        __asm__ volatile("wfi"); /* silicon: no debugger answers semihosting, so park */
    }
}
