package org.gkd4j.model.checkpoint;

/**
 * The safetensors element types gkd4j reads and writes, with their conversion to and from float32.
 *
 * <p>F16 is IEEE 754 binary16. BF16 is the upper 16 bits of a float32, so decoding shifts the bits left by 16 and
 * encoding rounds the lower 16 bits to nearest, ties to even.
 */
public enum SafetensorsDtype {
    F32(4),
    F16(2),
    BF16(2);

    private final int bytes;

    SafetensorsDtype(int bytes) {
        this.bytes = bytes;
    }

    /** Size of one element in bytes. */
    public int bytes() {
        return bytes;
    }

    /** Returns the type named {@code name} in a safetensors header, or null when gkd4j does not support it. */
    static SafetensorsDtype parse(String name) {
        for (SafetensorsDtype dtype : values()) {
            if (dtype.name().equals(name)) {
                return dtype;
            }
        }
        return null;
    }

    /** Decodes a bfloat16 bit pattern. */
    public static float bf16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }

    /** Encodes a float as bfloat16, rounding to nearest even; NaN stays a quiet NaN. */
    public static short floatToBf16(float value) {
        int bits = Float.floatToRawIntBits(value);
        if (Float.isNaN(value)) {
            return (short) ((bits >>> 16) | 0x0040);
        }
        int roundingBias = 0x7FFF + ((bits >>> 16) & 1);
        return (short) ((bits + roundingBias) >>> 16);
    }

    /** Decodes an IEEE binary16 bit pattern. */
    public static float f16ToFloat(short bits) {
        return Float.float16ToFloat(bits);
    }

    /** Encodes a float as IEEE binary16, rounding to nearest even. */
    public static short floatToF16(float value) {
        return Float.floatToFloat16(value);
    }
}
