/* The device side of the edgekit serial protocol (format in ek_protocol.h).
 *
 * One request at a time: read a frame into a fixed buffer, handle it, send one
 * response frame. No malloc; every buffer is bounded by EK_PROTO_MAX_PAYLOAD.
 */
#include "ek_protocol.h"

#include <string.h>

#include "ek_bsp.h" /* includes the board's ek_bsp_board.h */
#include "ek_model_api.h"
#include "ek_power.h"

/* The clock (CPU rate, tick rate, what a tick counts, emulated or not) comes from the BSP
 * at run time (ek_bsp.h): one STM32 image counts DWT cycles on silicon and the emulated
 * timer's instructions in QEMU. */
#ifndef EK_BSP_BOARD_NAME
#error "ek_bsp.h must define EK_BSP_BOARD_NAME"
#endif

#define BYTE_TIMEOUT_TICKS \
    ((uint32_t)(((uint64_t)ek_bsp_ticks_per_second() * EK_PROTO_BYTE_TIMEOUT_MS) / 1000u))

/* A request after framing. */
typedef struct {
    uint8_t type;
    uint8_t seq;
    uint16_t len;
    uint8_t payload[EK_PROTO_MAX_PAYLOAD];
} frame_t;

/* A response being built; `len` never passes EK_PROTO_MAX_PAYLOAD (put_* check). */
typedef struct {
    uint8_t payload[EK_PROTO_MAX_PAYLOAD];
    uint16_t len;
    int overflow;
} out_t;

static frame_t g_req;
static out_t g_rsp;

/* State kept between requests: was the last invoke timed, and its total ticks. */
static int g_profile_valid;
static uint32_t g_last_total_ticks;

uint16_t ek_crc16(uint16_t crc, const uint8_t *data, uint32_t len) {
    for (uint32_t i = 0; i < len; ++i) {
        crc ^= (uint16_t)((uint16_t)data[i] << 8);
        for (int bit = 0; bit < 8; ++bit) {
            crc = (crc & 0x8000u) ? (uint16_t)((crc << 1) ^ 0x1021u) : (uint16_t)(crc << 1);
        }
    }
    return crc;
}

/* ---- little-endian packing ---- */

static void put_bytes(out_t *o, const void *src, uint32_t n) {
    if (o->overflow || (uint32_t)o->len + n > EK_PROTO_MAX_PAYLOAD) {
        o->overflow = 1;
        return;
    }
    memcpy(&o->payload[o->len], src, n);
    o->len = (uint16_t)(o->len + n);
}

static void put_u8(out_t *o, uint8_t v) { put_bytes(o, &v, 1u); }

static void put_u16(out_t *o, uint16_t v) {
    uint8_t b[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
    put_bytes(o, b, 2u);
}

static void put_u32(out_t *o, uint32_t v) {
    uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    put_bytes(o, b, 4u);
}

static void put_f32(out_t *o, float v) {
    uint32_t bits;
    memcpy(&bits, &v, sizeof bits);
    put_u32(o, bits);
}

static void put_str(out_t *o, const char *s) {
    size_t n = strlen(s);
    if (n > 255u) n = 255u;
    put_u8(o, (uint8_t)n);
    put_bytes(o, s, (uint32_t)n);
}

static uint16_t get_u16(const uint8_t *p) { return (uint16_t)(p[0] | ((uint16_t)p[1] << 8)); }

static uint32_t get_u32(const uint8_t *p) {
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}

/* ---- framing ---- */

static void send_frame(uint8_t type, uint8_t seq, const uint8_t *payload, uint16_t len) {
    uint8_t head[4] = {(uint8_t)len, (uint8_t)(len >> 8), type, seq};
    uint16_t crc = ek_crc16(0xFFFFu, head, 4u);
    crc = ek_crc16(crc, payload, len);
    ek_bsp_putc(EK_PROTO_START);
    for (uint32_t i = 0; i < 4u; ++i) ek_bsp_putc(head[i]);
    for (uint32_t i = 0; i < len; ++i) ek_bsp_putc(payload[i]);
    ek_bsp_putc((uint8_t)crc);
    ek_bsp_putc((uint8_t)(crc >> 8));
    ek_bsp_flush();
}

static void send_error(uint8_t seq, uint8_t code, uint8_t request_type) {
    uint8_t payload[2] = {code, request_type};
    send_frame(EK_MSG_ERROR, seq, payload, 2u);
}

/* Sends g_rsp as the response to g_req (or an error if the payload did not fit). */
static void send_response(void) {
    if (g_rsp.overflow) {
        send_error(g_req.seq, EK_ERR_BAD_LENGTH, g_req.type);
        return;
    }
    send_frame((uint8_t)(g_req.type | EK_MSG_RESPONSE), g_req.seq, g_rsp.payload, g_rsp.len);
}

static void rsp_reset(void) {
    g_rsp.len = 0;
    g_rsp.overflow = 0;
}

/* Reads bytes into dst; 0 when all arrived, -1 when the line went quiet (resync). */
static int read_bytes(uint8_t *dst, uint32_t n) {
    for (uint32_t i = 0; i < n; ++i) {
        int c = ek_bsp_getc(BYTE_TIMEOUT_TICKS);
        if (c < 0) return -1;
        dst[i] = (uint8_t)c;
    }
    return 0;
}

/* Waits for a well-formed request in g_req. Garbage before a start byte is skipped;
 * a stalled frame is dropped; a bad CRC or an oversize length is answered with ERROR. */
static void read_request(void) {
    for (;;) {
        /* Between requests the device waits as long as it takes (and may sleep). */
        int c = ek_bsp_getc(EK_BSP_WAIT_FOREVER);
        if (c != (int)EK_PROTO_START) continue;
        uint8_t head[4];
        if (read_bytes(head, 4u) != 0) continue;
        uint16_t len = get_u16(head);
        g_req.type = head[2];
        g_req.seq = head[3];
        if (len > EK_PROTO_MAX_PAYLOAD) {
            send_error(g_req.seq, EK_ERR_TOO_LONG, g_req.type);
            continue;
        }
        uint8_t crc_bytes[2];
        if (read_bytes(g_req.payload, len) != 0 || read_bytes(crc_bytes, 2u) != 0) continue;
        uint16_t crc = ek_crc16(ek_crc16(0xFFFFu, head, 4u), g_req.payload, len);
        if (crc != get_u16(crc_bytes)) {
            send_error(g_req.seq, EK_ERR_BAD_CRC, g_req.type);
            continue;
        }
        g_req.len = len;
        return;
    }
}

/* ---- requests ---- */

static uint8_t device_flags(void) {
    uint8_t flags = EK_FLAG_OP_TIMING;
    if (ek_bsp_emulated()) flags |= EK_FLAG_EMULATED;
    if (EK_POWER_SENSOR != 0) flags |= EK_FLAG_POWER;
    if (strcmp(ek_bsp_tick_unit(), "us") == 0) flags |= EK_FLAG_UNIT_US;
    return flags;
}

static void put_clock_info(out_t *o) {
    put_u32(o, ek_bsp_cpu_hz());
    put_u32(o, ek_bsp_units_per_tick_num());
    put_u32(o, ek_bsp_units_per_tick_den());
}

static void put_tensor(out_t *o, const ek_tensor_info_t *t) {
    put_u32(o, t->bytes);
    put_f32(o, t->scale);
    put_u32(o, (uint32_t)t->zero_point);
}

static void build_hello(const ek_proto_config_t *cfg) {
    rsp_reset();
    put_u8(&g_rsp, (uint8_t)EK_PROTO_VERSION);
    put_u8(&g_rsp, device_flags());
    put_u16(&g_rsp, (uint16_t)EK_PROTO_MAX_PAYLOAD);
    put_u32(&g_rsp, ek_model_arena_bytes);
    put_u16(&g_rsp, (uint16_t)ek_model_num_ops);
    put_clock_info(&g_rsp);
    put_u8(&g_rsp, (uint8_t)ek_model_num_inputs);
    put_u8(&g_rsp, (uint8_t)ek_model_num_outputs);
    for (uint32_t i = 0; i < ek_model_num_inputs; ++i) put_tensor(&g_rsp, &ek_model_inputs[i]);
    for (uint32_t i = 0; i < ek_model_num_outputs; ++i) put_tensor(&g_rsp, &ek_model_outputs[i]);
    put_str(&g_rsp, EK_BSP_BOARD_NAME);
    put_str(&g_rsp, ek_model_hash);
    put_str(&g_rsp, cfg->build_id);
}

static void handle_set_input(void) {
    if (g_req.len < 5u) {
        send_error(g_req.seq, EK_ERR_BAD_LENGTH, g_req.type);
        return;
    }
    uint8_t index = g_req.payload[0];
    uint32_t offset = get_u32(&g_req.payload[1]);
    uint32_t count = (uint32_t)g_req.len - 5u;
    if (index >= ek_model_num_inputs || offset > ek_model_inputs[index].bytes ||
        count > ek_model_inputs[index].bytes - offset) {
        send_error(g_req.seq, EK_ERR_BAD_OFFSET, g_req.type);
        return;
    }
    memcpy((uint8_t *)ek_model_inputs[index].data + offset, &g_req.payload[5], count);
    rsp_reset();
    put_u8(&g_rsp, index);
    put_u32(&g_rsp, offset);
    put_u16(&g_rsp, (uint16_t)count);
    send_response();
}

static void handle_invoke(const ek_proto_config_t *cfg) {
    if (g_req.len != 1u) {
        send_error(g_req.seq, EK_ERR_BAD_LENGTH, g_req.type);
        return;
    }
    int time_ops = (g_req.payload[0] & EK_INVOKE_TIME_OPS) != 0 &&
                   cfg->op_ticks_len >= ek_model_num_ops;
    g_profile_valid = 0;
    uint32_t start = ek_bsp_ticks();
    int status = ek_model_invoke(time_ops ? ek_bsp_ticks : (ek_clock_fn)0,
                                 time_ops ? cfg->op_ticks : (uint32_t *)0);
    uint32_t total = ek_bsp_ticks() - start;
    g_last_total_ticks = total;
    g_profile_valid = time_ops && status == 0;
    rsp_reset();
    put_u32(&g_rsp, (uint32_t)status);
    put_u32(&g_rsp, total);
    send_response();
}

static void handle_get_output(void) {
    if (g_req.len != 7u) {
        send_error(g_req.seq, EK_ERR_BAD_LENGTH, g_req.type);
        return;
    }
    uint8_t index = g_req.payload[0];
    uint32_t offset = get_u32(&g_req.payload[1]);
    uint32_t length = get_u16(&g_req.payload[5]);
    if (index >= ek_model_num_outputs || offset > ek_model_outputs[index].bytes ||
        length > ek_model_outputs[index].bytes - offset) {
        send_error(g_req.seq, EK_ERR_BAD_OFFSET, g_req.type);
        return;
    }
    if (length > EK_PROTO_MAX_PAYLOAD - 5u) length = EK_PROTO_MAX_PAYLOAD - 5u;
    rsp_reset();
    put_u8(&g_rsp, index);
    put_u32(&g_rsp, offset);
    put_bytes(&g_rsp, (const uint8_t *)ek_model_outputs[index].data + offset, length);
    send_response();
}

static void handle_profile(const ek_proto_config_t *cfg) {
    if (g_req.len != 2u) {
        send_error(g_req.seq, EK_ERR_BAD_LENGTH, g_req.type);
        return;
    }
    uint32_t first = get_u16(g_req.payload);
    uint32_t num_ops = ek_model_num_ops;
    if (first > num_ops) {
        send_error(g_req.seq, EK_ERR_BAD_OFFSET, g_req.type);
        return;
    }
    const uint32_t header = 2u + 12u + 4u + 6u;
    uint32_t count = num_ops - first;
    if (count > (EK_PROTO_MAX_PAYLOAD - header) / 4u) count = (EK_PROTO_MAX_PAYLOAD - header) / 4u;
    if (!g_profile_valid) count = 0;
    rsp_reset();
    put_u8(&g_rsp, (uint8_t)g_profile_valid);
    put_u8(&g_rsp, device_flags());
    put_clock_info(&g_rsp);
    put_u32(&g_rsp, g_last_total_ticks);
    put_u16(&g_rsp, (uint16_t)num_ops);
    put_u16(&g_rsp, (uint16_t)first);
    put_u16(&g_rsp, (uint16_t)count);
    for (uint32_t i = 0; i < count; ++i) put_u32(&g_rsp, cfg->op_ticks[first + i]);
    send_response();
}

static void handle_power(void) {
    ek_power_reading_t reading;
    ek_power_read(&reading);
    rsp_reset();
    put_u8(&g_rsp, reading.status);
    put_u8(&g_rsp, reading.sensor);
    put_u32(&g_rsp, reading.bus_uv);
    put_u32(&g_rsp, (uint32_t)reading.current_ua);
    put_u32(&g_rsp, reading.power_uw);
    send_response();
}

/* RESET_STATE: the model's variables and run-once initialisers start over, as after boot. */
static void handle_reset_state(void) {
    ek_model_reset_state();
    rsp_reset();
    put_u32(&g_rsp, ek_model_state_bytes);
    send_response();
}

void ek_protocol_run(const ek_proto_config_t *config) {
    (void)ek_power_init();
    /* The boot announcement: seq 0 tells a listening host the device (re)started. */
    g_req.type = EK_MSG_HELLO;
    g_req.seq = 0;
    build_hello(config);
    send_response();
    for (;;) {
        read_request();
        switch (g_req.type) {
        case EK_MSG_HELLO:
            build_hello(config);
            send_response();
            break;
        case EK_MSG_SET_INPUT: handle_set_input(); break;
        case EK_MSG_INVOKE: handle_invoke(config); break;
        case EK_MSG_GET_OUTPUT: handle_get_output(); break;
        case EK_MSG_PROFILE: handle_profile(config); break;
        case EK_MSG_POWER: handle_power(); break;
        case EK_MSG_RESET_STATE: handle_reset_state(); break;
        default: send_error(g_req.seq, EK_ERR_UNKNOWN_TYPE, g_req.type); break;
        }
    }
}
