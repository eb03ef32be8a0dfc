/* modreg.h - a registry of loaded modules on top of modload. Freestanding C99.
 *
 * Optional: firmware that only needs modload never links it. The registry
 * keeps up to N modules in memory the caller gives (a slot array and a byte
 * pool, or allocator callbacks), runs their constructors and init, exit
 * and destructors, finds them and their symbols by name, binds imports
 * between modules with reference counts, and replaces a module while the
 * firmware keeps calling it (hot reload behind tables that `modpack stubs`
 * generates).
 *
 *   static modreg_slot slots[8];
 *   static uint8_t pool[32768] __attribute__((aligned(8)));
 *   static modreg reg;
 *   modload_env env = { .syms = modload_fw_syms, .nsyms = modload_fw_nsyms };
 *   modreg_init(&reg, slots, 8, pool, sizeof pool, &env);
 *   rc = modreg_load(&reg, buf, len, &info);      // or _stream, _path
 *   if (rc) puts(modreg_strerror(rc));
 *   modreg_sym(&reg, "calc", "calc_add", &addr);
 *   modreg_unload(&reg, "calc");
 *
 * Modules are known by the name their image records (modpack build --name,
 * by default the output file's name); two loaded modules never share one.
 * An import is bound to the firmware first (env syms, then env resolve) and
 * then to the exports of the modules already loaded; every module that
 * supplies one is counted, and cannot be unloaded until its users are.
 * (Module-to-module binding is by name: a stripped image's imports bind to
 * the firmware only.)
 *
 * Not reentrant: one caller at a time, and not from a module's init or exit.
 */
#ifndef MODREG_H
#define MODREG_H

#include "modload.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Sizes fixed at compile time. They shape modreg_slot: build every file
 * that includes this header with the same values. */
#ifndef MODREG_NAME_MAX
#define MODREG_NAME_MAX 24       /* module name, NUL included */
#endif
#ifndef MODREG_VERSION_MAX
#define MODREG_VERSION_MAX 16    /* version string, NUL included (longer is cut) */
#endif
#ifndef MODREG_MAX_DEPS
#define MODREG_MAX_DEPS 4        /* other modules one module may import from */
#endif

/* Errors: a modload_err (below MODLOAD_ERR_COUNT) or one of these. */
enum {
    MODREG_ERR_FULL = 64,     /* every slot is in use */
    MODREG_ERR_NOMEM,         /* no free block in the pool large enough */
    MODREG_ERR_EXISTS,        /* a module of this name is already loaded */
    MODREG_ERR_NO_MODULE,     /* no module of this name is loaded */
    MODREG_ERR_IN_USE,        /* other modules import from this one */
    MODREG_ERR_INIT,          /* the module's init returned non-zero (info.init_rc) */
    MODREG_ERR_NAME,          /* the image has no name record, or a longer one than MODREG_NAME_MAX */
    MODREG_ERR_DEPS,          /* imports from more than MODREG_MAX_DEPS modules */
    MODREG_ERR_MISMATCH,      /* reload: the new image records another name */
    MODREG_ERR_STUB,          /* a bound stub table names a symbol the module lacks */
    MODREG_ERR_HOOK,          /* reload: the pre or post hook returned non-zero */
    MODREG_ERR_OPEN,          /* the path's open callback failed */
    MODREG_ERR_END
};

/* A short English description of a modreg or modload error code. */
const char *modreg_strerror(int err);

typedef enum modreg_state {
    MODREG_FREE = 0,          /* slot unused */
    MODREG_LOADING,           /* placed and bound, init not yet returned */
    MODREG_LIVE,              /* init returned 0: in service */
    MODREG_STANDBY            /* reload: the new version, before the swap */
} modreg_state;

struct modreg_stubs;

/* One module. The caller provides the array; the fields are private. RAM
 * per slot: 108 bytes on a 32-bit target with the default sizes. */
typedef struct modreg_slot {
    modload_module mod;
    void *mem;                /* the module's block: region, then exports and names */
    uint32_t off, size;       /* the block in the pool (off unused with callbacks) */
    uint32_t code_size, data_size, bss_size;
    struct modreg_stubs *stubs; /* stub tables bound to this module */
    uint16_t refs;            /* modules that import from this one */
    uint8_t state, ndeps;
    uint8_t deps[MODREG_MAX_DEPS]; /* slots this module imports from */
    char name[MODREG_NAME_MAX];
    char version[MODREG_VERSION_MAX];
} modreg_slot;

/* Optional allocator in place of the pool: return size bytes aligned to
 * align (a power of two), or NULL. */
typedef struct modreg_alloc {
    void *(*alloc)(void *ctx, uint32_t size, uint32_t align);
    void (*free)(void *ctx, void *mem, uint32_t size);
    void *ctx;
} modreg_alloc;

/* The registry. Fields are private; read them through the functions. It
 * points at itself (env.ctx): initialise it where it stays, never copy it. */
typedef struct modreg {
    modreg_slot *slots;
    uint32_t nslots;
    uint8_t *pool;
    uint32_t pool_size;
    modreg_alloc alloc;       /* alloc.alloc non-NULL: used instead of the pool */
    modload_env fw;           /* the caller's firmware env */
    modload_env env;          /* what modload sees: fw, then the modules */
    int cur;                  /* slot being bound, or -1 */
    int skip;                 /* slot whose exports the binder ignores (reload), or -1 */
    int bind_err;             /* why the binder failed, beyond "unresolved" */
    char missing[MODREG_NAME_MAX]; /* the last import nothing supplied (cut) */
} modreg;

/* Start an empty registry over slots[nslots] and pool[pool_size] (pool may
 * be NULL when modreg_set_alloc follows). env is copied: its syms, resolve,
 * sync_code and abi serve every load. Modules run from the pool, so it
 * must be executable memory. */
void modreg_init(modreg *reg, modreg_slot *slots, uint32_t nslots, void *pool,
                 uint32_t pool_size, const modload_env *env);

/* Allocate module memory through callbacks instead of the pool (before the
 * first load). */
void modreg_set_alloc(modreg *reg, const modreg_alloc *alloc);

/* What the registry knows about one module. */
typedef struct modreg_info {
    const char *name, *version;   /* version "" when the image has none */
    uint32_t code_size, data_size, bss_size;
    uint32_t mem_size;            /* bytes its block takes (region, exports, names) */
    uint16_t refs;                /* modules importing from it */
    uint8_t state;                /* modreg_state */
    uint8_t ndeps;                /* modules it imports from */
    const modload_module *mod;    /* for modload_find, modload_entry */
    int init_rc;                  /* MODREG_ERR_INIT: what init returned */
} modreg_info;

/* ---- loading ------------------------------------------------------------- */

/* Load an image from memory (which may be freed afterwards), call its init,
 * and fill *info (optional). On MODREG_ERR_INIT the module was unloaded
 * again and info->init_rc holds init's value; on MODLOAD_ERR_UNRESOLVED
 * modreg_missing() names the import. On any error nothing stays allocated. */
int modreg_load(modreg *reg, const void *image, size_t len, modreg_info *info);

/* The same from a read callback (modload_stream_*; the name record passes
 * last, so a duplicate name is found after the bytes were read). Uses
 * about 430 bytes of stack for the modload_stream. */
int modreg_load_stream(modreg *reg, modload_read_fn read, void *ctx, modreg_info *info);

/* Files: open returns a handle for read (NULL on failure), close ends it. */
typedef struct modreg_fs {
    void *(*open)(void *ctx, const char *path);
    modload_read_fn read;     /* called with the handle open returned */
    void (*close)(void *handle);
    void *ctx;
} modreg_fs;

int modreg_load_path(modreg *reg, const modreg_fs *fs, const char *path, modreg_info *info);

/* The import nothing supplied in the last MODLOAD_ERR_UNRESOLVED ("" if none). */
const char *modreg_missing(const modreg *reg);

/* Call the module's exit and its destructors (modload_run_fini), reset the
 * stub tables bound to it to their trap,
 * release its imports and its memory. MODREG_ERR_IN_USE while other
 * modules import from it. */
int modreg_unload(modreg *reg, const char *name);

/* Unload every module, users before the modules they import from. */
void modreg_unload_all(modreg *reg);

/* ---- looking up ------------------------------------------------------------ */

int modreg_find(const modreg *reg, const char *name, modreg_info *info);

/* Iterate loaded modules: *pos starts at 0; returns 1 with *info filled, 0
 * at the end. */
int modreg_next(const modreg *reg, uint32_t *pos, modreg_info *info);

/* Run address (Thumb bit kept) of symbol in module. */
int modreg_sym(const modreg *reg, const char *module, const char *symbol, modload_addr *addr);

typedef struct modreg_stats {
    uint32_t pool_total, pool_used, pool_free, largest_free; /* bytes; free and
                                 largest are 0 with allocator callbacks */
    uint32_t modules, slots;
} modreg_stats;

void modreg_stats_get(const modreg *reg, modreg_stats *st);

/* ---- stubs and hot reload ---------------------------------------------------- */

/* A firmware-side function table, as `modpack stubs` generates it: the
 * stub for names[i] jumps to table[i]. An unbound entry holds trap, which
 * calls modreg_unbound. */
typedef struct modreg_stubs {
    const char *module;           /* the module the table was generated for */
    const char *const *names;
    uintptr_t *table;
    uint32_t n;
    uintptr_t trap;
    /* Optional: called by the trap with the table an unbound stub is in. */
    void (*unbound)(const struct modreg_stubs *stubs);
    struct modreg_stubs *next;    /* private: the next table bound to the same module */
} modreg_stubs;

/* Point every entry at its symbol in module (all or none: MODREG_ERR_STUB
 * when one is missing, and the table is unchanged). A table is bound to one
 * module at a time; reload re-points it, unload resets it to the trap. */
int modreg_bind(modreg *reg, const char *module, modreg_stubs *stubs);
void modreg_unbind(modreg *reg, modreg_stubs *stubs);

/* What a generated trap calls: stubs->unbound, then it never returns. */
void modreg_unbound(const modreg_stubs *stubs);

/* The image a reload loads: a buffer (image non-NULL), a stream (read
 * non-NULL) or a path (fs non-NULL). */
typedef struct modreg_source {
    const void *image;
    size_t len;
    modload_read_fn read;
    void *ctx;
    const modreg_fs *fs;
    const char *path;
} modreg_source;

/* Optional hooks around a swap; a non-zero return abandons the reload.
 * pre sees the old module (save its state), post the new one, already
 * initialised (restore it). */
typedef struct modreg_hooks {
    int (*pre)(void *ctx, const modload_module *old_mod);
    int (*post)(void *ctx, const modload_module *new_mod);
    void *ctx;
} modreg_hooks;

/* Replace module name by the image from src: load and init it next to the
 * old one (a free slot and pool room are needed), check it has every symbol
 * of the stub tables bound to the old one, run hooks->pre then ->post, then
 * swap: re-point those tables, call the old exit and free the old one. The
 * new module keeps the old one's slot. On any error before the swap the
 * new one is unloaded (its exit runs if its init did) and the old one
 * stays in service. Refused with MODREG_ERR_IN_USE while other modules
 * import from it: their code holds the old addresses. */
int modreg_reload(modreg *reg, const char *name, const modreg_source *src,
                  const modreg_hooks *hooks, modreg_info *info);

#ifdef __cplusplus
}
#endif

#endif
