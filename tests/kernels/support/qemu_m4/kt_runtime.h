#ifndef KT_RUNTIME_H
#define KT_RUNTIME_H
#include <stdint.h>
void kt_putc(char c);
void kt_puts(const char *s);
void kt_put_u32(uint32_t v);
void kt_put_hex(const int8_t *data, uint32_t n);
uint32_t kt_ticks(void); /* counting DOWN: timer0 (M4, 40 instructions per tick) or the inverted FPGAIO counter (M55, 50) */
void kt_exit(int code);
#endif
