/* vc_cache.h - the per-host disk cache of generated audio.
 *
 * A rebuildable copy of what PostgreSQL holds, keyed by the content hash:
 * CACHE_DIR/tts/audio/<sha256>.<format>, the same path as the public
 * immutable URL /tts/audio/<sha256>.<format> so nginx serves it with
 * try_files (the key covers the format, so one key has one file). A file
 * is written in CACHE_DIR/tmp, outside the served tree, fsynced, renamed
 * into place and its directory fsynced: after a crash or a power loss a
 * file is whole or absent, never short. Files are
 * written to a temporary name and renamed, so a reader never sees half a
 * file; losing the directory loses nothing. */
#ifndef VC_CACHE_H
#define VC_CACHE_H

#include <stddef.h>
#include <time.h>

#include "vc_config.h"
#include "vc_error.h"
#include "vc_format.h"

#define VC_CACHE_PATH_MAX 4096

/* Whether key is 64 lowercase hex digits (the only names the cache uses). */
int vc_cache_key_valid(const char *key);

/* The file path of key into out. */
void vc_cache_path(const struct vc_config *cfg, const char *key, enum vc_format f,
                   char out[VC_CACHE_PATH_MAX]);

/* The nginx internal URI of key (for X-Accel-Redirect) into out. */
void vc_cache_accel_uri(const struct vc_config *cfg, const char *key, enum vc_format f,
                        char out[VC_CACHE_PATH_MAX]);

/* Whether a complete file for key is present; *size gets its size. */
int vc_cache_has(const struct vc_config *cfg, const char *key, enum vc_format f, size_t *size);

struct vc_cache_stats {
    unsigned long files, removed;
    unsigned long long bytes, removed_bytes;
};

/* Remove least recently used files (the later of last read and writing)
 * until the cache holds at most max_bytes, sparing any used at or after
 * spare_since (0: none); st says what is left and what went. Nothing is
 * lost: PostgreSQL keeps every blob. */
enum vc_code vc_cache_prune(const struct vc_config *cfg, unsigned long long max_bytes,
                            time_t spare_since,
                            struct vc_cache_stats *st, struct vc_error *err) VC_MUST_CHECK;

/* Whether key's file is there (as vc_cache_has), marking it used now for
 * the LRU when its mark is older than VC_CACHE_TOUCH_S: a hit through a
 * worker costs one stat, and a write only now and then. A file used in
 * the last (spare window - VC_CACHE_TOUCH_S) seconds is always spared. */
#define VC_CACHE_TOUCH_S 5
int vc_cache_use(const struct vc_config *cfg, const char *key, enum vc_format f);

/* Writes that failed in this process (a full disk, a read-only mount). */
unsigned long vc_cache_write_errors(void);

/* Whether the cache can take files: writable with 16 MiB free;
 * *free_bytes says how much. */
int vc_cache_healthy(const struct vc_config *cfg, unsigned long long *free_bytes);

/* Remove what crashed writers left in the cache's temporary directory
 * (call before any worker writes: at the master's start). */
void vc_cache_sweep_temp(const struct vc_config *cfg);

/* Read the file of key into *data (new buffer the caller frees) and *len:
 * VC_ERR_NOT_FOUND when there is none. */
enum vc_code vc_cache_get(const struct vc_config *cfg, const char *key, enum vc_format f,
                          unsigned char **data, size_t *len, struct vc_error *err) VC_MUST_CHECK;

/* Write len bytes for key atomically (temp file + rename), then keep the
 * cache under VOXCAT_CACHE_MAX_BYTES. VC_ERR_UNAVAILABLE when the disk
 * takes no file (full, read-only): the audio is then served from
 * PostgreSQL. */
enum vc_code vc_cache_put(const struct vc_config *cfg, const char *key, enum vc_format f,
                          const void *data, size_t len, struct vc_error *err) VC_MUST_CHECK;

/* Remove the file of key, if there is one: audio written ahead of a
 * transaction that then failed. */
void vc_cache_drop(const struct vc_config *cfg, const char *key, enum vc_format f);

#endif
