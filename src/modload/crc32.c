/* crc32.c - CRC-32 exactly as zlib's crc32(), four bits at a time.
 * A 16-entry table keeps the code small on a microcontroller; a module image
 * is checked once per load, so the byte-wise table's speed is not worth 1 KB.
 */
#include "modload_internal.h"

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
