/* yolov8.c -- the YOLOv8 / YOLO11 / YOLOv9 adapter (ultralytics export):
 * one output [B,4+C,N], a column per anchor of cx,cy,w,h (input px) and C
 * class scores, no objectness. Its methods are yolo.c's, shared with
 * YOLOv5 (the columns are read in place): what is YOLOv8's own is this
 * layout. */
#include "adapter.h"

static const det_yolo_layout columns = {.values_dim = 1, .objectness = 0};

const vd_det_adapter det_yolov8 = {
    .kind = VD_DET_YOLOV8,
    .name = "yolov8",
    .layout = "float32 [B,4+C,N] (yolov8)",
    .nms = 1,
    .params = &columns,
    .check = det_yolo_check,
    .looks_like = det_yolo_looks_like,
    .decode = det_yolo_decode,
};
