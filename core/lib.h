/* SPDX-License-Identifier: BSD-3-Clause */
/* The few libc-like routines core/ needs, written here because core/ has no libc. */
#ifndef TERN_LIB_H
#define TERN_LIB_H

#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdbool.h>

/* memcpy: dst and src must not overlap (a byte may be copied twice, lib.c). */
void *tern_memcpy(void *dst, const void *src, size_t n);
void *tern_memset(void *dst, int c, size_t n);
int tern_memcmp(const void *a, const void *b, size_t n);
size_t tern_strlen(const char *s);
/* Copy at most size-1 bytes and always terminate (when size > 0). */
size_t tern_strlcpy(char *dst, const char *src, size_t size);
int tern_strncmp(const char *a, const char *b, size_t n);

/*
 * A small vsnprintf: %d %i %u %x %X %c %s %p %% with the l/ll/z length
 * modifiers, '0' flag and a field width. Always terminates; returns the
 * length it would have written.
 */
int tern_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int tern_snprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define TERN_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* The low @bytes bytes of a 64-bit value (an operand, address or access size of 1..8). */
static inline uint64_t tern_size_mask(unsigned bytes)
{
	return bytes >= 8 ? ~0ull : (1ull << (8 * bytes)) - 1;
}

#endif
