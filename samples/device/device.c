/* device.c - a Linux-hosted device that takes modules over the air.
 *
 *   device --store FILE [--port N] [--trust KEY.pub.pem] [--min-security N]
 *          [--slot-kib N] [--flash-delay-us N]
 *
 * A native process standing in for a microcontroller: its modules are
 * x86-64 modpack images run from an executable pool by the registry
 * (modreg), kept in A/B slots (modslot) on a file that plays the flash
 * (created blank at first use). At start it boots the committed modules;
 * then it serves HTTP on 127.0.0.1:PORT (libmicrohttpd; port 0 picks a
 * free one, printed as "device: listening on 127.0.0.1:PORT") and reads
 * console commands from standard input:
 *
 *   PUT    /modules/NAME        upload and hot-reload (or install) NAME
 *   GET    /modules             every module: JSON
 *   GET    /modules/NAME        one module
 *   DELETE /modules/NAME        unload it and remove it from the store
 *   GET    /modules/NAME/call/FN?args=1,2   call FN (up to four ints)
 *
 * A refused upload answers 4xx with the loader's reason, and the running
 * version keeps running. A reload carries the module's state when the old
 * version exports uint32_t reload_save(void *buf, uint32_t room) and the
 * new one int reload_restore(const void *buf, uint32_t len).
 *
 * With --trust, only images signed by that Ed25519 key load (spec section
 * 13, checked with libcrypto), and an update may not lower a module's
 * security version (nor go below --min-security). --flash-delay-us makes
 * every write and erase of the store take that long, as real flash does
 * (the kill -9 test lands its kills inside writes that way).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "modslot.h"

#define ERASE_SIZE 4096u
#define NMODULES MODSLOT_MAX_MODULES
#define POOL_SIZE (8u << 20)
#define NREG 16

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static modreg reg;
static modreg_slot reg_slots[NREG];
static modslot ms;
static modload_policy policy;
static uint32_t min_security;

/* ---- what the device exports to its modules --------------------------------- */

void dev_log(const char *s)
{
    printf("module: %s\n", s);
    fflush(stdout);
}

uint32_t dev_uptime_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint32_t)(t.tv_sec * 1000u + (uint32_t)(t.tv_nsec / 1000000));
}

static modload_symbol dev_syms[2];
/* The ABI modules are built against: modpack build --abi-name modpack-device. */
static modload_abi dev_abi = {0, 1, 0};

static void exports_init(void)
{
    dev_syms[0] = (modload_symbol){modload_hash("dev_log"), "dev_log", (modload_addr)(uintptr_t)dev_log};
    dev_syms[1] = (modload_symbol){modload_hash("dev_uptime_ms"), "dev_uptime_ms",
                                   (modload_addr)(uintptr_t)dev_uptime_ms};
    if (dev_syms[1].hash < dev_syms[0].hash) {
        modload_symbol t = dev_syms[0];
        dev_syms[0] = dev_syms[1];
        dev_syms[1] = t;
    }
    dev_abi.id = modload_hash("modpack-device");
}

/* ---- the flash: a file ------------------------------------------------------------ */

static int store_fd = -1;
static unsigned flash_delay_us;

static int file_read(void *ctx, uint32_t off, void *buf, uint32_t len)
{
    (void)ctx;
    return pread(store_fd, buf, len, off) == (ssize_t)len ? 0 : -1;
}

static int file_write(void *ctx, uint32_t off, const void *buf, uint32_t len)
{
    (void)ctx;
    if (flash_delay_us)
        usleep(flash_delay_us);
    return pwrite(store_fd, buf, len, off) == (ssize_t)len ? 0 : -1;
}

static int file_erase(void *ctx, uint32_t off, uint32_t len)
{
    static uint8_t ff[ERASE_SIZE];
    (void)ctx;
    if (flash_delay_us)
        usleep(flash_delay_us);
    memset(ff, 0xFF, sizeof ff);
    for (uint32_t at = 0; at < len; at += ERASE_SIZE)
        if (pwrite(store_fd, ff, ERASE_SIZE, off + at) != (ssize_t)ERASE_SIZE)
            return -1;
    return 0;
}

static int store_open(const char *path, uint32_t size, modslot_store *st)
{
    struct stat sb;
    store_fd = open(path, O_RDWR | O_CREAT, 0644);
    if (store_fd < 0 || fstat(store_fd, &sb) != 0)
        return -1;
    if (sb.st_size == 0) { /* a new flash: erased */
        for (uint32_t at = 0; at < size; at += ERASE_SIZE)
            if (file_erase(NULL, at, ERASE_SIZE) != 0)
                return -1;
    } else if ((uint64_t)sb.st_size != size) {
        fprintf(stderr, "device: %s holds %lld bytes, the layout needs %u (same --slot-kib as before)\n",
                path, (long long)sb.st_size, size);
        return -1;
    }
    *st = (modslot_store){file_read, file_write, file_erase, NULL, ERASE_SIZE, size};
    return 0;
}

/* ---- signatures: Ed25519 through libcrypto ------------------------------------------ */

static EVP_PKEY *trusted;
static uint8_t trusted_id[MODP_SIG_KEY_ID_SIZE];
static uint32_t seen_security; /* the security version of the image the policy last saw */

static int load_key(const char *path)
{
    FILE *f = fopen(path, "r");
    uint8_t raw[32], d[32];
    size_t n = sizeof raw;
    if (!f)
        return -1;
    trusted = PEM_read_PUBKEY(f, NULL, NULL, NULL);
    fclose(f);
    if (!trusted || EVP_PKEY_get_id(trusted) != EVP_PKEY_ED25519 ||
        EVP_PKEY_get_raw_public_key(trusted, raw, &n) != 1 || n != sizeof raw)
        return -1;
    EVP_Digest(raw, n, d, NULL, EVP_sha256(), NULL);
    memcpy(trusted_id, d, sizeof trusted_id);
    return 0;
}

static int accept_sig(void *ctx, const modload_signature *s)
{
    (void)ctx;
    seen_security = s->security_version;
    if (!s->count || memcmp(s->key_id, trusted_id, sizeof trusted_id) != 0)
        return -1;
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    int ok = c && EVP_DigestVerifyInit(c, NULL, NULL, NULL, trusted) == 1 &&
             EVP_DigestVerify(c, s->sig, MODP_SIG_SIZE, s->digest, MODLOAD_SHA256_SIZE) == 1;
    EVP_MD_CTX_free(c);
    return ok ? 0 : -1;
}

/* Security versions of the modules running, by entry name. */
static struct {
    char name[MODSLOT_NAME_SIZE];
    uint32_t version;
} secv[NMODULES];

static uint32_t *secv_of(const char *name, int add)
{
    for (int i = 0; i < NMODULES; i++)
        if (secv[i].name[0] && strcmp(secv[i].name, name) == 0)
            return &secv[i].version;
    for (int i = 0; add && i < NMODULES; i++)
        if (!secv[i].name[0]) {
            snprintf(secv[i].name, sizeof secv[i].name, "%s", name);
            secv[i].version = 0;
            return &secv[i].version;
        }
    return NULL;
}

/* ---- the hooks that carry a module's state across a reload --------------------------- */

static uint8_t state_buf[4096];
static uint32_t state_len;

static int save_state(void *ctx, const modload_module *old_mod)
{
    modload_addr a;
    (void)ctx;
    state_len = 0;
    if (modload_find(old_mod, "reload_save", &a) == MODLOAD_OK)
        state_len = ((uint32_t (*)(void *, uint32_t))(uintptr_t)a)(state_buf, sizeof state_buf);
    return state_len > sizeof state_buf;
}

static int restore_state(void *ctx, const modload_module *new_mod)
{
    modload_addr a;
    (void)ctx;
    if (!state_len || modload_find(new_mod, "reload_restore", &a) != MODLOAD_OK)
        return 0;
    return ((int (*)(const void *, uint32_t))(uintptr_t)a)(state_buf, state_len) != 0;
}

static const modreg_hooks hooks = {save_state, restore_state, NULL};

/* ---- the device's operations (under lock) ----------------------------------------------- */

/* Start an update: the policy's floor is the running version's security version. */
static int update_begin(const char *name)
{
    uint32_t *v = secv_of(name, 0);
    policy.min_security_version = v && *v > min_security ? *v : min_security;
    seen_security = 0;
    return modslot_update_begin(&ms, name);
}

static int update_finish(const char *name, modreg_info *info)
{
    int rc = modslot_update_finish(&ms, &hooks, info);
    uint32_t *v;
    if (rc == MODLOAD_OK && trusted && (v = secv_of(name, 1)))
        *v = seen_security;
    return rc;
}

static const char *state_name(const modslot_entry *en, int live)
{
    if (live)
        return "live";
    return en->booted == MODSLOT_NONE && en->boot_rc ? "failed" : "stopped";
}

/* s as the inside of a JSON string (names and versions come from images). */
static const char *json_str(const char *s, char *out, size_t room)
{
    size_t n = 0;
    for (; *s && n + 7 < room; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            n += (size_t)snprintf(out + n, room - n, "\\%c", c);
        else if (c < 0x20 || c >= 0x7f)
            n += (size_t)snprintf(out + n, room - n, "\\u%04x", c);
        else
            out[n++] = (char)c;
    }
    out[n] = 0;
    return out;
}

/* One module as JSON, appended to buf. */
static void module_json(char *buf, size_t room, const modslot_entry *en)
{
    modreg_info info;
    int live = modreg_find(&reg, en->name, &info) == MODLOAD_OK;
    size_t n = strlen(buf);
    uint32_t *sv = secv_of(en->name, 0);
    char name[8 * MODSLOT_NAME_SIZE], ver[8 * MODREG_VERSION_MAX];

    snprintf(buf + n, room - n,
             "{\"name\":\"%s\",\"version\":\"%s\",\"slot\":%d,\"committed\":%d,\"state\":\"%s\","
             "\"security_version\":%u,\"stats\":{\"code\":%u,\"data\":%u,\"bss\":%u,\"memory\":%u,"
             "\"users\":%u},\"image_bytes\":%u%s%s%s}",
             json_str(en->name, name, sizeof name), json_str(live ? info.version : "", ver, sizeof ver), en->booted == MODSLOT_NONE ? -1 : en->booted,
             en->active == MODSLOT_NONE ? -1 : en->active, state_name(en, live), sv ? *sv : 0,
             live ? info.code_size : 0, live ? info.data_size : 0, live ? info.bss_size : 0,
             live ? info.mem_size : 0, live ? info.refs : 0,
             en->active <= 1 ? en->len[en->active] : 0, en->boot_rc ? ",\"boot_error\":\"" : "",
             en->boot_rc ? modslot_strerror(en->boot_rc) : "", en->boot_rc ? "\"" : "");
}

/* Call fn of module with up to four int arguments. */
static int call(const char *module, const char *fn, const long *args, int nargs, int *result)
{
    modload_addr a;
    int rc = modreg_sym(&reg, module, fn, &a);
    (void)nargs;
    if (rc == MODLOAD_OK)
        *result = ((int (*)(long, long, long, long))(uintptr_t)a)(args[0], args[1], args[2], args[3]);
    return rc;
}

/* ---- HTTP ---------------------------------------------------------------------------------- */

typedef struct upload {
    char name[MODSLOT_NAME_SIZE];
    int rc;          /* the first refusal, or 0 */
    int begun;       /* this connection owns the update in progress */
    uint64_t bytes;
} upload;

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *body)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body), (void *)body,
                                                             MHD_RESPMEM_MUST_COPY);
    MHD_add_response_header(r, "Content-Type", "application/json");
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static unsigned status_of(int rc)
{
    switch (rc) {
    case MODSLOT_ERR_BUSY: return 409;
    case MODREG_ERR_IN_USE: return 409;
    case MODSLOT_ERR_SIZE: return 413;
    case MODSLOT_ERR_NAME: return 400;
    case MODREG_ERR_NO_MODULE: return 404;
    case MODLOAD_ERR_UNSIGNED: case MODLOAD_ERR_SIGNATURE: case MODLOAD_ERR_DOWNGRADE: return 403;
    case MODSLOT_ERR_STORE: case MODSLOT_ERR_TABLE: return 507;
    default: return 422;     /* the image: refused by the loader or the registry */
    }
}

static enum MHD_Result refuse(struct MHD_Connection *c, const char *what, const char *name, int rc)
{
    char body[1024], n[512], m[8 * MODREG_NAME_MAX];
    const char *missing = rc == MODLOAD_ERR_UNRESOLVED ? modreg_missing(&reg) : "";
    snprintf(body, sizeof body, "{\"module\":\"%s\",\"refused\":\"%s\",\"error\":%d,\"reason\":\"%s%s%s\"}\n",
             json_str(name, n, sizeof n), what, rc, modslot_strerror(rc), *missing ? ": " : "",
             json_str(missing, m, sizeof m));
    return reply(c, status_of(rc), body);
}

static int valid_name(const char *s)
{
    size_t n = strlen(s);
    if (!n || n >= MODSLOT_NAME_SIZE)
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '_' || *s == '-' || *s == '.'))
            return 0;
    return 1;
}

static enum MHD_Result put_module(struct MHD_Connection *c, upload *u, const char *data, size_t *size)
{
    if (*size) { /* a chunk of the body */
        if (!u->rc && u->begun) {
            pthread_mutex_lock(&lock);
            u->rc = modslot_update_write(&ms, data, (uint32_t)*size);
            pthread_mutex_unlock(&lock);
        }
        u->bytes += *size;
        *size = 0;
        return MHD_YES;
    }
    /* the end of the body */
    char body[2048] = "";
    modreg_info info;
    int rc = u->rc;
    pthread_mutex_lock(&lock);
    if (u->begun && !rc) {
        rc = update_finish(u->name, &info);
    } else if (u->begun) {
        modslot_update_abort(&ms);
    }
    u->begun = 0;
    if (rc == MODLOAD_OK) {
        module_json(body, sizeof body, modslot_find(&ms, u->name));
        strcat(body, "\n");
    }
    pthread_mutex_unlock(&lock);
    if (rc != MODLOAD_OK) {
        printf("device: upload of %s refused: %s\n", u->name, modslot_strerror(rc));
        fflush(stdout);
        return refuse(c, "upload", u->name, rc);
    }
    printf("device: %s version %s running from slot %d\n", u->name, info.version,
           modslot_find(&ms, u->name)->booted);
    fflush(stdout);
    return reply(c, 200, body);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                              const char *version, const char *data, size_t *size, void **con_cls)
{
    (void)cls;
    (void)version;
    char name[64] = "", fn[64] = "";
    int is_put = strcmp(method, "PUT") == 0;

    if (strncmp(url, "/modules", 8) != 0 || (url[8] && url[8] != '/'))
        return reply(c, 404, "{\"error\":\"no such resource\"}\n");
    if (url[8] == '/' && sscanf(url + 9, "%63[^/]/call/%63s", name, fn) < 1)
        return reply(c, 404, "{\"error\":\"no such resource\"}\n");

    if (is_put && name[0] && !fn[0]) {
        upload *u = *con_cls;
        if (!u) { /* the headers: start the update now, so that a second upload is refused */
            if (!(u = calloc(1, sizeof *u)))
                return MHD_NO;
            *con_cls = u;
            snprintf(u->name, sizeof u->name, "%s", name);
            if (!valid_name(name)) {
                u->rc = MODSLOT_ERR_NAME;
                return MHD_YES;
            }
            pthread_mutex_lock(&lock);
            u->rc = update_begin(name);
            u->begun = u->rc == MODLOAD_OK;
            pthread_mutex_unlock(&lock);
            return MHD_YES;
        }
        return put_module(c, u, data, size);
    }
    if (*size)
        return MHD_NO; /* a body where none belongs */

    static char body[16384];
    enum MHD_Result ret;
    pthread_mutex_lock(&lock);
    if (strcmp(method, "GET") == 0 && !name[0]) {
        uint32_t pos = 0;
        const modslot_entry *en;
        strcpy(body, "[");
        while ((en = modslot_next(&ms, &pos))) {
            if (body[1])
                strcat(body, ",");
            module_json(body, sizeof body - 4, en);
        }
        strcat(body, "]\n");
        ret = reply(c, 200, body);
    } else if (strcmp(method, "GET") == 0 && !fn[0]) {
        const modslot_entry *en = modslot_find(&ms, name);
        body[0] = 0;
        if (en) {
            module_json(body, sizeof body - 2, en);
            strcat(body, "\n");
        }
        ret = en ? reply(c, 200, body) : refuse(c, "get", name, MODREG_ERR_NO_MODULE);
    } else if (strcmp(method, "GET") == 0) {
        long args[4] = {0, 0, 0, 0};
        int nargs = 0, result = 0, rc;
        const char *a = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "args");
        while (a && *a && nargs < 4) {
            char *end;
            args[nargs++] = strtol(a, &end, 0);
            a = *end == ',' ? end + 1 : end + strlen(end);
        }
        if ((rc = call(name, fn, args, nargs, &result)) == MODLOAD_OK) {
            snprintf(body, sizeof body, "{\"module\":\"%s\",\"function\":\"%s\",\"result\":%d}\n", name, fn,
                     result);
            ret = reply(c, 200, body);
        } else {
            ret = refuse(c, "call", name, rc == MODLOAD_ERR_NOT_FOUND ? MODREG_ERR_NO_MODULE : rc);
        }
    } else if (strcmp(method, "DELETE") == 0 && !fn[0]) {
        int rc = modslot_remove(&ms, name);
        uint32_t *v = secv_of(name, 0);
        if (rc == MODLOAD_OK && v)
            secv[(int)(((char *)v - (char *)secv) / (long)sizeof secv[0])].name[0] = 0;
        snprintf(body, sizeof body, "{\"module\":\"%s\",\"removed\":true}\n", name);
        ret = rc == MODLOAD_OK ? reply(c, 200, body) : refuse(c, "delete", name, rc);
    } else {
        ret = reply(c, 405, "{\"error\":\"method not allowed\"}\n");
    }
    pthread_mutex_unlock(&lock);
    return ret;
}

/* A connection ends: an upload it left unfinished (the client went away) is abandoned. */
static void completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode t)
{
    upload *u = *con_cls;
    (void)cls;
    (void)c;
    (void)t;
    if (!u)
        return;
    if (u->begun) {
        pthread_mutex_lock(&lock);
        modslot_update_abort(&ms);
        pthread_mutex_unlock(&lock);
    }
    free(u);
    *con_cls = NULL;
}

/* ---- the console ----------------------------------------------------------------------------- */

static uint8_t *read_file(const char *path, uint32_t *len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *p = NULL;
    long n;
    if (!f)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && n < (1L << 30) && fseek(f, 0, SEEK_SET) == 0 &&
        (p = malloc((size_t)n + 1)) && fread(p, 1, (size_t)n, f) == (size_t)n) {
        *len = (uint32_t)n;
    } else {
        free(p);
        p = NULL;
    }
    fclose(f);
    return p;
}

/* The name an image records, for modload <path>. */
static int image_name(const uint8_t *p, uint32_t len, char *name)
{
    modload_image img;
    modload_meta m;
    uint32_t pos = 0;
    int rc = modload_check(p, len, &img);
    if (rc)
        return rc;
    while (modload_meta_next(&img, &pos, &m) == MODLOAD_OK)
        if (m.type == MODP_META_NAME && m.len && m.len <= MODSLOT_NAME_SIZE && !m.bytes[m.len - 1]) {
            memcpy(name, m.bytes, m.len);
            return MODLOAD_OK;
        }
    return MODREG_ERR_NAME;
}

static void install_file(const char *name, const char *path)
{
    uint32_t len = 0;
    uint8_t *p = read_file(path, &len);
    char own[MODSLOT_NAME_SIZE] = "";
    modreg_info info;
    int rc;
    if (!p) {
        printf("cannot read %s: %s\n", path, strerror(errno));
        return;
    }
    if (!name && (rc = image_name(p, len, own)) != MODLOAD_OK) {
        printf("%s: %s\n", path, modslot_strerror(rc));
        free(p);
        return;
    }
    if (!name)
        name = own;
    rc = update_begin(name);
    if (!rc && (rc = modslot_update_write(&ms, p, len)) != MODLOAD_OK)
        modslot_update_abort(&ms);
    else if (!rc)
        rc = update_finish(name, &info);
    if (rc)
        printf("%s: refused: %s\n", name, modslot_strerror(rc));
    else
        printf("%s %s: running from slot %d\n", name, info.version, modslot_find(&ms, name)->booted);
    free(p);
}

static void console_line(char *line)
{
    char *argv[8];
    int argc = 0;
    for (char *t = strtok(line, " \t\r\n"); t && argc < 8; t = strtok(NULL, " \t\r\n"))
        argv[argc++] = t;
    if (!argc)
        return;
    const char *c = argv[0];
    if (strcmp(c, "modlist") == 0 && argc == 1) {
        uint32_t pos = 0;
        const modslot_entry *en;
        while ((en = modslot_next(&ms, &pos))) {
            modreg_info info;
            int live = modreg_find(&reg, en->name, &info) == MODLOAD_OK;
            printf("%-16s %-10s slot %d (committed %d) %s\n", en->name, live ? info.version : "-",
                   en->booted == MODSLOT_NONE ? -1 : en->booted, en->active, state_name(en, live));
        }
    } else if (strcmp(c, "modload") == 0 && argc == 2) {
        install_file(NULL, argv[1]);
    } else if (strcmp(c, "modreload") == 0 && argc == 3) {
        install_file(argv[1], argv[2]);
    } else if (strcmp(c, "modunload") == 0 && argc == 2) {
        int rc = modslot_remove(&ms, argv[1]);
        printf("%s: %s\n", argv[1], rc ? modslot_strerror(rc) : "unloaded and removed");
    } else if (strcmp(c, "modstats") == 0 && argc == 1) {
        modreg_stats st;
        modreg_stats_get(&reg, &st);
        printf("modules %u of %u slots; pool %u bytes, %u used, %u free, largest free %u; record %u\n",
               st.modules, st.slots, st.pool_total, st.pool_used, st.pool_free, st.largest_free,
               modslot_seq(&ms));
    } else if (strcmp(c, "modsym") == 0 && argc == 3) {
        modload_addr a;
        int rc = modreg_sym(&reg, argv[1], argv[2], &a);
        if (rc)
            printf("%s %s: %s\n", argv[1], argv[2], modslot_strerror(rc));
        else
            printf("%s %s: 0x%llx\n", argv[1], argv[2], (unsigned long long)a);
    } else if (strcmp(c, "modcall") == 0 && argc >= 3 && argc <= 7) {
        long args[4] = {0, 0, 0, 0};
        int result, rc;
        for (int i = 3; i < argc; i++)
            args[i - 3] = strtol(argv[i], NULL, 0);
        if ((rc = call(argv[1], argv[2], args, argc - 3, &result)) != MODLOAD_OK)
            printf("%s %s: %s\n", argv[1], argv[2], modslot_strerror(rc));
        else
            printf("%s %s = %d\n", argv[1], argv[2], result);
    } else if (strcmp(c, "help") == 0) {
        printf("commands: modlist | modload <path> | modreload <name> <path> | modunload <name> |\n"
               "  modstats | modsym <module> <symbol> | modcall <module> <function> [int...] | quit\n");
    } else {
        printf("unknown command (help lists them)\n");
    }
}

/* ---- main ------------------------------------------------------------------------------------- */

static volatile sig_atomic_t stop;
static void on_signal(int s) { (void)s; stop = 1; }

int main(int argc, char **argv)
{
    const char *store_path = NULL, *key = NULL;
    unsigned port = 0, slot_kib = 64;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--store") == 0 && i + 1 < argc)
            store_path = argv[++i];
        else if (strcmp(argv[i], "--port") == 0 && i + 1 < argc)
            port = (unsigned)strtoul(argv[++i], NULL, 0);
        else if (strcmp(argv[i], "--trust") == 0 && i + 1 < argc)
            key = argv[++i];
        else if (strcmp(argv[i], "--min-security") == 0 && i + 1 < argc)
            min_security = (uint32_t)strtoul(argv[++i], NULL, 0);
        else if (strcmp(argv[i], "--slot-kib") == 0 && i + 1 < argc)
            slot_kib = (unsigned)strtoul(argv[++i], NULL, 0);
        else if (strcmp(argv[i], "--flash-delay-us") == 0 && i + 1 < argc)
            flash_delay_us = (unsigned)strtoul(argv[++i], NULL, 0);
        else {
            fprintf(stderr, "usage: device --store FILE [--port N] [--trust KEY.pub.pem] [--min-security N] "
                            "[--slot-kib N] [--flash-delay-us N]\n");
            return 2;
        }
    }
    if (!store_path || port > 65535 || slot_kib < 4 || slot_kib > 4096) {
        fprintf(stderr, "device: give --store FILE (and a port below 65536, --slot-kib 4 to 4096)\n");
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    exports_init();

    /* The store: the two record copies (one erase block each) and the slots. */
    modslot_store st;
    uint32_t size = 2u * ERASE_SIZE + 2u * NMODULES * slot_kib * 1024u;
    if (store_open(store_path, size, &st) != 0) {
        fprintf(stderr, "device: cannot use %s as the store\n", store_path);
        return 1;
    }
    if (key && load_key(key) != 0) {
        fprintf(stderr, "device: %s is not an Ed25519 public key (PEM)\n", key);
        return 1;
    }
    policy = (modload_policy){accept_sig, NULL, min_security};

    uint8_t *pool = mmap(NULL, POOL_SIZE, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (pool == MAP_FAILED) {
        perror("device: mmap");
        return 1;
    }
    modload_env env = {.syms = dev_syms, .nsyms = 2, .abi = &dev_abi, .policy = key ? &policy : NULL};
    modreg_init(&reg, reg_slots, NREG, pool, POOL_SIZE, &env);
    int rc = modslot_open(&ms, &st, &reg, NMODULES);
    if (rc) {
        fprintf(stderr, "device: %s: %s\n", store_path, modslot_strerror(rc));
        return 1;
    }
    /* Boot: the policy's floor is the configured one; each module's own
     * security version is what it booted with. */
    uint32_t failed = modslot_boot(&ms), pos = 0, count = 0;
    const modslot_entry *en;
    while ((en = modslot_next(&ms, &pos))) {
        count++;
        modreg_info info;
        if (modreg_find(&reg, en->name, &info) == MODLOAD_OK) {
            printf("device: booted %s %s from slot %d%s\n", en->name, info.version, en->booted,
                   en->booted != en->active ? " (the committed slot failed: previous version)" : "");
            if (key) { /* its security version: from the image in the store */
                modload_image img;
                uint8_t *p = malloc(en->len[en->booted]);
                uint32_t *v = secv_of(en->name, 1);
                if (p && v && modslot_image_read(&ms, en, en->booted, 0, p, en->len[en->booted]) == 0 &&
                    modload_check(p, en->len[en->booted], &img) == MODLOAD_OK)
                    *v = modload_security_version(&img);
                free(p);
            }
        } else {
            printf("device: %s did not boot: %s\n", en->name, modslot_strerror(en->boot_rc));
        }
    }
    printf("device: %u modules in the store, %u failed to boot, record %u\n",
           count, failed, modslot_seq(&ms));

    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct MHD_Daemon *d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, (uint16_t)port,
                                            NULL, NULL, handle, NULL, MHD_OPTION_SOCK_ADDR, &sa,
                                            MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
                                            MHD_OPTION_CONNECTION_TIMEOUT, 30u, MHD_OPTION_END);
    if (!d) {
        fprintf(stderr, "device: cannot listen on 127.0.0.1:%u\n", port);
        return 1;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    printf("device: listening on 127.0.0.1:%u\n", di ? di->port : port);

    struct sigaction sga;
    memset(&sga, 0, sizeof sga);
    sga.sa_handler = on_signal;
    sigaction(SIGTERM, &sga, NULL);
    sigaction(SIGINT, &sga, NULL);
    char line[512];
    while (!stop && fgets(line, sizeof line, stdin)) {
        if (strncmp(line, "quit", 4) == 0)
            break;
        pthread_mutex_lock(&lock);
        console_line(line);
        pthread_mutex_unlock(&lock);
    }
    while (!stop && feof(stdin)) /* no console (stdin closed): serve until a signal */
        pause();

    MHD_stop_daemon(d);
    pthread_mutex_lock(&lock);
    modreg_unload_all(&reg);
    modreg_stats rs;
    modreg_stats_get(&reg, &rs);
    printf("device: stopped; pool %u bytes used\n", rs.pool_used);
    pthread_mutex_unlock(&lock);
    munmap(pool, POOL_SIZE);
    EVP_PKEY_free(trusted);
    close(store_fd);
    return 0;
}
