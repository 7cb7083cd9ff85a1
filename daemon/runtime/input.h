/* input.h -- the reader as a stream sees it (input.c): open with the
 * stream's timeouts and transport, sample to its fps, loop files, convert
 * to RGB24. The one file of the runtime that talks to pipeline/reader.h,
 * so the rest sees a stream's input as these few calls. Used by one reader
 * thread, except rt_input_interrupt(). */
#ifndef VD_RT_INPUT_H
#define VD_RT_INPUT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "vision/core/error.h"

typedef struct rt_input rt_input;

typedef struct rt_input_opts {
    const char *url;
    double timeout;          /* open and read timeout, s */
    const char *rtsp_transport;
    double fps;              /* sampling (the reader's selection); 0: every frame */
    int loop;                /* files: seek back to the start at the end */
    const atomic_int *abort; /* the stream's stop flag: interrupts even a blocked open */
    const struct vd_reader_guard *guard; /* what the reader may open (the sources policy) */
} rt_input_opts;

typedef struct rt_input_frame {
    double pts;              /* media time; grows across loops */
    int width, height;
} rt_input_frame;

int rt_input_open(rt_input **out, const rt_input_opts *o, vd_error *err);
/* The next sampled frame (decoded, not converted yet). VD_EOF at the end
 * of a file without loop; VD_ETIMEDOUT: no frame for `timeout` s. */
int rt_input_next(rt_input *s, rt_input_frame *f, vd_error *err);
/* The frame of the last next() as RGB24 into dst (width*3 per row). */
int rt_input_rgb(rt_input *s, uint8_t *dst, size_t size, vd_error *err);
int rt_input_is_file(const rt_input *s);
int64_t rt_input_packets(const rt_input *s); /* frames read from the source */
/* Frames the decoder rejected or concealed damage in, on this connection;
 * the latest such error into msg ("" none). */
int64_t rt_input_damaged(const rt_input *s, char *msg, size_t size);
void rt_input_interrupt(rt_input *s);        /* any thread */
void rt_input_close(rt_input **s);
/* 1 when url names a local file (no scheme, or file:). */
int rt_url_is_file(const char *url);

#endif
