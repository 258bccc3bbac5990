/* SPDX-License-Identifier: BSD-3-Clause */
#include "lib.h"

void *tern_memcpy(void *dst, const void *src, size_t n)
{
	uint8_t *d = dst;
	const uint8_t *s = src;
	/*
	 * No loop below 16 bytes: guest-memory accesses are mostly 1-8 bytes,
	 * IOREQ slots and hypercall structures a few words. Eight bytes at a
	 * time (a constant-size __builtin_memcpy is one unaligned load and
	 * store, never a call), the last eight ending at n, over bytes already
	 * copied when n is not a multiple of 8; below 8, the same with two
	 * fours, or the first, middle and last byte. A byte may so be copied
	 * twice, with the same value: dst and src do not overlap (memcpy's
	 * contract).
	 */
	if (n >= 8) {
		for (size_t i = 0; i + 8 < n; i += 8)
			__builtin_memcpy(d + i, s + i, 8);
		__builtin_memcpy(d + n - 8, s + n - 8, 8);
	} else if (n >= 4) {
		__builtin_memcpy(d, s, 4);
		__builtin_memcpy(d + n - 4, s + n - 4, 4);
	} else if (n != 0) {
		d[0] = s[0];
		d[n / 2] = s[n / 2];
		d[n - 1] = s[n - 1];
	}
	return dst;
}

void *tern_memset(void *dst, int c, size_t n)
{
	uint8_t *d = dst;
	while (n--)
		*d++ = (uint8_t)c;
	return dst;
}

int tern_memcmp(const void *a, const void *b, size_t n)
{
	const uint8_t *x = a, *y = b;
	for (size_t i = 0; i < n; i++)
		if (x[i] != y[i])
			return x[i] < y[i] ? -1 : 1;
	return 0;
}

size_t tern_strlen(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return n;
}

size_t tern_strlcpy(char *dst, const char *src, size_t size)
{
	size_t len = tern_strlen(src);
	if (size) {
		size_t n = len < size - 1 ? len : size - 1;
		tern_memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}

int tern_strncmp(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (a[i] != b[i])
			return (unsigned char)a[i] < (unsigned char)b[i] ? -1 : 1;
		if (!a[i])
			return 0;
	}
	return 0;
}

struct out {
	char *buf;
	size_t size;
	size_t len;
};

static void put(struct out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void put_num(struct out *o, uint64_t v, unsigned base, bool upper,
		    bool neg, unsigned width, char pad)
{
	char tmp[24];
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	unsigned n = 0;
	do {
		tmp[n++] = digits[v % base];
		v /= base;
	} while (v);
	unsigned total = n + (neg ? 1u : 0u);
	if (neg && pad == '0')
		put(o, '-');
	for (; total < width; total++)
		put(o, pad);
	if (neg && pad != '0')
		put(o, '-');
	while (n)
		put(o, tmp[--n]);
}

int tern_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct out o = { buf, size, 0 };
	for (const char *p = fmt; *p; p++) {
		if (*p != '%') {
			put(&o, *p);
			continue;
		}
		p++;
		char pad = ' ';
		unsigned width = 0;
		if (*p == '0') {
			pad = '0';
			p++;
		}
		while (*p >= '0' && *p <= '9')
			width = width * 10 + (unsigned)(*p++ - '0');
		int lng = 0;
		while (*p == 'l' || *p == 'z') {
			lng = 2; /* long, long long and size_t are all 64-bit here */
			p++;
		}
		switch (*p) {
		case 'd':
		case 'i': {
			int64_t v = lng ? va_arg(ap, int64_t) : va_arg(ap, int);
			uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
			put_num(&o, mag, 10, false, v < 0, width, pad);
			break;
		}
		case 'u':
		case 'x':
		case 'X': {
			uint64_t v = lng ? va_arg(ap, uint64_t) : va_arg(ap, unsigned);
			put_num(&o, v, *p == 'u' ? 10 : 16, *p == 'X', false, width, pad);
			break;
		}
		case 'p':
			put(&o, '0');
			put(&o, 'x');
			put_num(&o, (uint64_t)(uintptr_t)va_arg(ap, void *), 16, false, false, width, pad);
			break;
		case 'c':
			put(&o, (char)va_arg(ap, int));
			break;
		case 's': {
			const char *s = va_arg(ap, const char *);
			if (!s)
				s = "(null)";
			size_t l = tern_strlen(s);
			for (; l < width; width--)
				put(&o, ' ');
			while (*s)
				put(&o, *s++);
			break;
		}
		case '%':
			put(&o, '%');
			break;
		case '\0':
			p--; /* a lone '%' at the end: print nothing more */
			break;
		default:
			put(&o, '%');
			put(&o, *p);
			break;
		}
	}
	if (size)
		buf[o.len < size ? o.len : size - 1] = '\0';
	return (int)o.len;
}

int tern_snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = tern_vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
