/* strerror.c - English text for modload's error codes. Kept apart from the
 * core so that firmware which only prints numbers does not link the strings. */
#include "modload_internal.h"

static const char *const messages[MODLOAD_ERR_COUNT] = {
    [MODLOAD_OK] = "ok",
    [MODLOAD_ERR_ARG] = "invalid argument",
    [MODLOAD_ERR_TRUNCATED] = "image truncated",
    [MODLOAD_ERR_MAGIC] = "not a modpack image (bad magic)",
    [MODLOAD_ERR_VERSION] = "unsupported format major version",
    [MODLOAD_ERR_ARCH] = "image built for another ISA or CPU",
    [MODLOAD_ERR_HEADER] = "inconsistent header",
    [MODLOAD_ERR_CRC] = "CRC mismatch (image corrupted)",
    [MODLOAD_ERR_FIXUP] = "malformed fixup stream",
    [MODLOAD_ERR_FIXUP_KIND] = "fixup kind not supported by this loader",
    [MODLOAD_ERR_FIXUP_RANGE] = "fixup site outside its segment, or an address its field cannot hold",
    [MODLOAD_ERR_IMPORT] = "malformed import",
    [MODLOAD_ERR_UNRESOLVED] = "unresolved import",
    [MODLOAD_ERR_EXPORT] = "malformed export or string table",
    [MODLOAD_ERR_META] = "malformed metadata",
    [MODLOAD_ERR_SPACE] = "memory given too small",
    [MODLOAD_ERR_ALIGN] = "memory given misaligned",
    [MODLOAD_ERR_PLACEMENT] = "placement not allowed for this image",
    [MODLOAD_ERR_NOT_FOUND] = "symbol not found",
    [MODLOAD_ERR_READ] = "read callback failed",
    [MODLOAD_ERR_ABI] = "image built for another firmware ABI (other id or major, or newer minor)",
    [MODLOAD_ERR_PROFILE] = "not supported by this modload profile",
    [MODLOAD_ERR_UNSIGNED] = "image not signed, and the signing policy refused it",
    [MODLOAD_ERR_SIGNATURE] = "signature block malformed, or no signature the policy accepts",
    [MODLOAD_ERR_DOWNGRADE] = "security version below the firmware's minimum (downgrade)",
    [MODLOAD_ERR_INFLATE] = "compressed segment malformed (bad deflate data, or not the segment's size)",
};

const char *modload_strerror(int err)
{
    if (err < 0)
        err = -err;
    if (err >= MODLOAD_ERR_COUNT)
        return "unknown error";
    return messages[err];
}
