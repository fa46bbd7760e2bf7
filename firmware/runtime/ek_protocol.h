/* The edgekit device protocol: framed requests and responses over a serial port.
 *
 * Frame (every field little-endian):
 *
 *     0xA5 | len u16 | type u8 | seq u8 | payload[len] | crc u16
 *
 * crc is CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, no final xor)
 * over len, type, seq and payload (everything but the start byte and the crc itself).
 * The host numbers its requests 1..255; a response carries the type of its request
 * with bit 7 set (EK_MSG_RESPONSE) and the request's seq. seq 0 is the device's own:
 * at boot the firmware sends an unsolicited HELLO response with seq 0, so a host
 * that sees one mid-transaction knows the device was reset.
 *
 * The device skips bytes until a start byte; a frame whose next byte does not arrive
 * within EK_PROTO_BYTE_TIMEOUT_MS is dropped and the search for a start byte resumes.
 * A frame with a bad CRC, an unknown type, a malformed payload or an out-of-range
 * offset is answered with an ERROR frame (code below); the host retries.
 *
 * Requests and their responses (payload layouts; sN/uN = signed/unsigned N-bit LE,
 * f32 = IEEE-754 single, str = u8 length + bytes):
 *
 * HELLO 0x01       req: (empty)
 *                  rsp: u8 protocol version, u8 flags (EK_FLAG_*), u16 max payload,
 *                       u32 arena bytes, u16 num ops, u32 cpu Hz, u32 units-per-tick
 *                       numerator, u32 denominator (ticks → instructions when emulated,
 *                       µs with EK_FLAG_UNIT_US, else cycles), u8 n_inputs, u8 n_outputs, then per tensor
 *                       (inputs, then outputs) u32 bytes, f32 scale, s32 zero point;
 *                       then str board, str model hash (hex SHA-256), str build id.
 * SET_INPUT 0x02   req: u8 tensor, u32 offset, data...  rsp: u8 tensor, u32 offset, u16 count
 * INVOKE 0x03      req: u8 flags (bit 0: time every op)   rsp: s32 status, u32 total ticks
 * GET_OUTPUT 0x04  req: u8 tensor, u32 offset, u16 length rsp: u8 tensor, u32 offset, data...
 *                  (length is clamped to what fits in one frame; the host asks again)
 * PROFILE 0x05     req: u16 first op                       rsp: u8 valid (last invoke was
 *                       timed and succeeded), u8 flags, u32 cpu Hz, u32 numerator,
 *                       u32 denominator, u32 total ticks, u16 num ops, u16 first,
 *                       u16 count, u32 ticks[count]
 * POWER 0x06       req: (empty)                            rsp: u8 status (EK_POWER_*),
 *                       u8 sensor (EK_SENSOR_*), u32 bus µV, s32 current µA, u32 power µW
 * RESET_STATE 0x07 req: (empty)                            rsp: u32 state bytes cleared (the
 *                       model's variables and run-once flags: the next invoke is as after boot)
 * ERROR 0xFF       rsp only: u8 code (EK_ERR_*), u8 type of the offending request
 */
#ifndef EK_PROTOCOL_H
#define EK_PROTOCOL_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define EK_PROTO_VERSION 1u
#define EK_PROTO_START 0xA5u

/* Largest payload the device accepts or sends; the host learns it from HELLO. */
#ifndef EK_PROTO_MAX_PAYLOAD
#define EK_PROTO_MAX_PAYLOAD 512u
#endif

/* A frame whose next byte takes longer than this is dropped (resync). */
#ifndef EK_PROTO_BYTE_TIMEOUT_MS
#define EK_PROTO_BYTE_TIMEOUT_MS 200u
#endif

enum {
    EK_MSG_HELLO = 0x01,
    EK_MSG_SET_INPUT = 0x02,
    EK_MSG_INVOKE = 0x03,
    EK_MSG_GET_OUTPUT = 0x04,
    EK_MSG_PROFILE = 0x05,
    EK_MSG_POWER = 0x06,
    EK_MSG_RESET_STATE = 0x07, /* -> u32 state bytes; clears what persists between invokes */
    EK_MSG_RESPONSE = 0x80,
    EK_MSG_ERROR = 0xFF
};

enum {
    EK_ERR_BAD_CRC = 1,
    EK_ERR_UNKNOWN_TYPE = 2,
    EK_ERR_BAD_OFFSET = 3,
    EK_ERR_BAD_LENGTH = 4,
    EK_ERR_TOO_LONG = 5
};

enum {
    EK_FLAG_EMULATED = 0x01,   /* tick counts are QEMU -icount instructions */
    EK_FLAG_POWER = 0x02,      /* a power sensor driver is built in */
    EK_FLAG_OP_TIMING = 0x04,  /* INVOKE can time every op */
    EK_FLAG_UNIT_US = 0x08     /* ticks count microseconds (host builds), not cycles */
};

enum { EK_INVOKE_TIME_OPS = 0x01 };

enum { EK_POWER_OK = 0, EK_POWER_NO_SENSOR = 1, EK_POWER_SENSOR_ERROR = 2 };
enum { EK_SENSOR_NONE = 0, EK_SENSOR_INA219 = 1, EK_SENSOR_INA226 = 2 };

/* What main.c hands the protocol loop: where per-op ticks go and the build's id. */
typedef struct {
    uint32_t *op_ticks;        /* room for op_ticks_len entries (>= ek_model_num_ops) */
    uint32_t op_ticks_len;
    const char *build_id;
} ek_proto_config_t;

/* CRC-16/CCITT-FALSE, continued from crc (start with 0xFFFF). */
uint16_t ek_crc16(uint16_t crc, const uint8_t *data, uint32_t len);

/* Announces the device (seq-0 HELLO) and serves requests forever. */
void ek_protocol_run(const ek_proto_config_t *config);

#ifdef __cplusplus
}
#endif

#endif /* EK_PROTOCOL_H */
