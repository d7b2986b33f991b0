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

/* Remove what crashed writers left in the cache's temporary directory
 * (call before any worker writes: at the master's start). */
void vc_cache_sweep_temp(const struct vc_config *cfg);

/* Read the file of key into *data (new buffer the caller frees) and *len:
 * VC_ERR_NOT_FOUND when there is none. */
enum vc_code vc_cache_get(const struct vc_config *cfg, const char *key, enum vc_format f,
                          unsigned char **data, size_t *len, struct vc_error *err) VC_MUST_CHECK;

/* Write len bytes for key atomically (temp file + rename). */
enum vc_code vc_cache_put(const struct vc_config *cfg, const char *key, enum vc_format f,
                          const void *data, size_t len, struct vc_error *err) VC_MUST_CHECK;

#endif
