/* source.h -- the reader as a stream sees it (source.c): open with the
 * stream's timeouts and transport, sample to its fps, loop files, convert
 * to RGB24. Apart from runtime.h on purpose: pipeline/reader.h and
 * runtime.h both define a vd_stream_info, so only source.c includes the
 * reader. Used by one reader thread, except rt_source_interrupt(). */
#ifndef VD_RT_SOURCE_H
#define VD_RT_SOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "vision/core/error.h"

typedef struct rt_source rt_source;

typedef struct rt_source_opts {
    const char *url;
    double timeout;          /* open and read timeout, s */
    const char *rtsp_transport;
    double fps;              /* sampling (the reader's selection); 0: every frame */
    int loop;                /* files: seek back to the start at the end */
} rt_source_opts;

typedef struct rt_source_frame {
    double pts;              /* media time; grows across loops */
    int width, height;
} rt_source_frame;

int rt_source_open(rt_source **out, const rt_source_opts *o, vd_error *err);
/* The next sampled frame (decoded, not converted yet). VD_EOF at the end
 * of a file without loop; VD_ETIMEDOUT: no frame for `timeout` s. */
int rt_source_next(rt_source *s, rt_source_frame *f, vd_error *err);
/* The frame of the last next() as RGB24 into dst (width*3 per row). */
int rt_source_rgb(rt_source *s, uint8_t *dst, size_t size, vd_error *err);
int rt_source_is_file(const rt_source *s);
int64_t rt_source_packets(const rt_source *s); /* frames read from the source */
void rt_source_interrupt(rt_source *s);        /* any thread */
void rt_source_close(rt_source **s);
/* 1 when url names a local file (no scheme, or file:). */
int rt_url_is_file(const char *url);

#endif
