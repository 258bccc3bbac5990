/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SHA-256 (FIPS 180-4 section 6.2) as a pure function over caller-owned
 * state, and the question the EFI entry asks of a Service VM kernel: is its
 * digest in the list built into the signed image.
 */
#ifndef TERN_SHA256_H
#define TERN_SHA256_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#define SHA256_DIGEST_LEN 32
#define SHA256_BLOCK_LEN 64

struct sha256 {
	uint32_t h[8];
	uint64_t total;                 /* bytes hashed so far */
	uint8_t buf[SHA256_BLOCK_LEN];
	size_t fill;                    /* bytes waiting in buf */
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t len);
void sha256_final(struct sha256 *s, uint8_t out[SHA256_DIGEST_LEN]);
/* One call: init, update, final. */
void sha256(const void *data, size_t len, uint8_t out[SHA256_DIGEST_LEN]);

/* True when digest is one of the n entries of list (n digests back to back). */
bool sha256_in_list(const uint8_t digest[SHA256_DIGEST_LEN], const uint8_t (*list)[SHA256_DIGEST_LEN],
		    size_t n);

#endif
