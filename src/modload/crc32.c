/* crc32.c - CRC-32 exactly as zlib's crc32(), at the speed the build chose
 * (MODLOAD_CRC_BITS, modload_config.h): a bit, a nibble or a byte at a time.
 * A module image is checked once per load, so a microcontroller build keeps
 * the small ones; the 1 KiB table is for firmware that checks large images
 * often.
 */
#include "modload_internal.h"

#if MODLOAD_CRC_BITS == 8
/* The table is computed by the compiler: entry i is i run through eight
 * bit steps of the reflected polynomial. */
#define CRC_B(c) ((c) >> 1 ^ (0xEDB88320u & (0u - ((c) & 1u))))
#define CRC_E(i) CRC_B(CRC_B(CRC_B(CRC_B(CRC_B(CRC_B(CRC_B(CRC_B((uint32_t)(i)))))))))
#define CRC_4(i) CRC_E(i), CRC_E((i) + 1), CRC_E((i) + 2), CRC_E((i) + 3)
#define CRC_16(i) CRC_4(i), CRC_4((i) + 4), CRC_4((i) + 8), CRC_4((i) + 12)
#define CRC_64(i) CRC_16(i), CRC_16((i) + 16), CRC_16((i) + 32), CRC_16((i) + 48)
static const uint32_t crc_table[256] = { CRC_64(0), CRC_64(64), CRC_64(128), CRC_64(192) };

uint32_t modload_crc32(uint32_t crc, const void *buf, size_t len)
{
    const uint8_t *p = (const uint8_t *)buf;

    crc = ~crc;
    while (len--)
        crc = crc >> 8 ^ crc_table[(crc ^ *p++) & 0xFFu];
    return ~crc;
}
#elif MODLOAD_CRC_BITS == 4
static const uint32_t crc_nibble[16] = {
    0x00000000u, 0x1DB71064u, 0x3B6E20C8u, 0x26D930ACu,
    0x76DC4190u, 0x6B6B51F4u, 0x4DB26158u, 0x5005713Cu,
    0xEDB88320u, 0xF00F9344u, 0xD6D6A3E8u, 0xCB61B38Cu,
    0x9B64C2B0u, 0x86D3D2D4u, 0xA00AE278u, 0xBDBDF21Cu,
};

uint32_t modload_crc32(uint32_t crc, const void *buf, size_t len)
{
    const uint8_t *p = (const uint8_t *)buf;

    crc = ~crc;
    while (len--) {
        crc ^= *p++;
        crc = crc >> 4 ^ crc_nibble[crc & 15u];
        crc = crc >> 4 ^ crc_nibble[crc & 15u];
    }
    return ~crc;
}
#else
uint32_t modload_crc32(uint32_t crc, const void *buf, size_t len)
{
    const uint8_t *p = (const uint8_t *)buf;
    unsigned k;

    crc = ~crc;
    while (len--) {
        crc ^= *p++;
        for (k = 0; k < 8; k++)
            crc = crc >> 1 ^ (0xEDB88320u & (0u - (crc & 1u)));
    }
    return ~crc;
}
#endif
