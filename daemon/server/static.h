/* static.h -- the web console's files, served by the daemon itself.
 *
 * The files are read once at start from <exe>/../share/visiond/www (the
 * same relative place in the build tree and after `cmake --install`), each
 * with its gzip twin made at build time. Only the files found there at
 * start are ever served: a URL is looked up in that list, never joined to a
 * path, so no request can reach the filesystem. */
#ifndef VD_SERVER_STATIC_H
#define VD_SERVER_STATIC_H

#include "vision/core/error.h"

struct MHD_Connection;
typedef struct vd_static vd_static;

/* dir NULL: next to the executable as described above. A missing folder is
 * not an error (the API works without a console): vd_static_count() is 0. */
int vd_static_open(vd_static **out, const char *dir, vd_error *err);
void vd_static_free(vd_static **s);
int vd_static_count(const vd_static *s);

/* Queue the response for GET/HEAD `url` ("/" is /index.html): 200 (gzip
 * when the client accepts it), or 304 when If-None-Match matches. Returns
 * the status queued, 0 when url is not a console file (the caller answers
 * 404), -1 when MHD refused the response. */
int vd_static_serve(const vd_static *s, struct MHD_Connection *c, const char *url);

#endif
