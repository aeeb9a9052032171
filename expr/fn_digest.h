/* expr/fn_digest.h - message digests and checksums (expr/fn_digest.c)
 * for the hash functions: whole messages in, bytes or integers out. */
#ifndef SL_EXPR_FN_DIGEST_H
#define SL_EXPR_FN_DIGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

void sl_md5(const uint8_t *p, size_t n, uint8_t out[16]);
void sl_sha1(const uint8_t *p, size_t n, uint8_t out[20]);
/* SHA-224, -256, -384 or -512 (bits); writes bits / 8 bytes to out (at
 * most 64) and returns that count. */
size_t sl_sha2(int bits, const uint8_t *p, size_t n, uint8_t *out);
uint32_t sl_crc32(const uint8_t *p, size_t n);
uint64_t sl_xxh64(const uint8_t *p, size_t n, uint64_t seed);

#endif
