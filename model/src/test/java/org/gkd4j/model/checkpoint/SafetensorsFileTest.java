package org.gkd4j.model.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.gkd4j.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsFileTest {

    @TempDir
    Path dir;

    @Test
    void roundTripKeepsTensorsOrderAndMetadata() {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("z.last", Tensor.of(new float[] {1.5f, -2f, 3.25f, Float.MIN_VALUE, -0f, 1e30f}, 2, 3));
        tensors.put("a.first", Tensor.of(new float[] {7f}, 1));
        // a view at a non-zero offset must write only its own elements
        tensors.put("m.view", Tensor.of(new float[] {9f, 8f, 7f, 6f}, 4).rows(1, 2));
        Path file = dir.resolve("state.safetensors");
        SafetensorsFile.write(file, tensors, Map.of("step", "42"));

        SafetensorsFile.Contents read = SafetensorsFile.read(file);
        assertEquals(List.of("z.last", "a.first", "m.view"), List.copyOf(read.tensors().keySet()));
        assertArrayEquals(tensors.get("z.last").toArray(), read.tensors().get("z.last").toArray());
        assertEquals("[2, 3]", read.tensors().get("z.last").shapeString());
        assertArrayEquals(new float[] {7f}, read.tensors().get("a.first").toArray());
        assertArrayEquals(new float[] {8f, 7f}, read.tensors().get("m.view").toArray());
        assertEquals(Map.of("step", "42"), read.metadata());
    }

    @Test
    void writtenFileIsWorldReadable() throws IOException {
        Path file = dir.resolve("weights.safetensors");
        SafetensorsFile.write(file, Map.of("w", Tensor.of(new float[] {1f}, 1)), Map.of());

        assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    }

    @Test
    void writeReplacesFileWithoutLeftovers() throws IOException {
        Path file = dir.resolve("x.safetensors");
        SafetensorsFile.write(file, Map.of("a", Tensor.of(new float[] {1f}, 1)), Map.of());
        SafetensorsFile.write(file, Map.of("b", Tensor.of(new float[] {2f, 3f}, 2)), Map.of());
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(file), files.toList());
        }
        assertEquals(List.of("b"), List.copyOf(SafetensorsFile.read(file).tensors().keySet()));
        // header length 8 bytes + padded JSON: the data section starts at a multiple of 8
        long headerLength = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, headerLength % 8);
    }

    @Test
    void bf16RoundTripKeepsRepresentableValues() {
        Path file = dir.resolve("bf16.safetensors");
        float[] values = {1f, -2.5f, 3.140625f, 0f, 65536f};
        SafetensorsFile.write(file, Map.of("w", Tensor.of(values, 5)), Map.of(), SafetensorsDtype.BF16);
        assertArrayEquals(values, SafetensorsFile.read(file).tensors().get("w").toArray());
    }

    @Test
    void f16DecodesHandComputedBitPatterns() {
        // 0x3C00 = 1, 0xC000 = -2, 0x3555 = 1365/4096 = 0.333251953125, 0x7BFF = 65504 (max), 0x0001 = 2^-24
        byte[] file = handMadeFile("F16", new short[] {0x3C00, (short) 0xC000, 0x3555, 0x7BFF, 0x0001, 0x7C00});
        float[] read = SafetensorsFile.read(file, "f16").tensors().get("t").toArray();
        assertArrayEquals(new float[] {1f, -2f, 0.333251953125f, 65504f, (float) Math.pow(2, -24),
            Float.POSITIVE_INFINITY}, read);
    }

    @Test
    void bf16DecodesHandComputedBitPatterns() {
        // 0x3F80 = 1, 0xC0A0 = -5, 0x4049 = 3.140625, 0x0080 = 2^-126, 0x7F80 = +inf
        byte[] file = handMadeFile("BF16", new short[] {0x3F80, (short) 0xC0A0, 0x4049, 0x0080, 0x7F80, 0});
        float[] read = SafetensorsFile.read(file, "bf16").tensors().get("t").toArray();
        assertArrayEquals(new float[] {1f, -5f, 3.140625f, Float.MIN_NORMAL, Float.POSITIVE_INFINITY, 0f}, read);
    }

    @Test
    void bf16EncodingRoundsHalfToEven() {
        // 1 + 2^-8 lies halfway between 0x3F80 and 0x3F81: ties go to the even 0x3F80
        assertEquals((short) 0x3F80, SafetensorsDtype.floatToBf16(Float.intBitsToFloat(0x3F808000)));
        // halfway between 0x3F81 and 0x3F82: ties go to the even 0x3F82
        assertEquals((short) 0x3F82, SafetensorsDtype.floatToBf16(Float.intBitsToFloat(0x3F818000)));
        // just above halfway rounds up
        assertEquals((short) 0x3F81, SafetensorsDtype.floatToBf16(Float.intBitsToFloat(0x3F808001)));
        assertTrue(Float.isNaN(SafetensorsDtype.bf16ToFloat(SafetensorsDtype.floatToBf16(Float.NaN))));
    }

    @Test
    void headerLengthBeyondFileIsRejected() {
        byte[] file = handMadeFile("F32", new short[] {0, 0});
        ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 1000);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SafetensorsFile.read(file, "bad"));
        assertTrue(e.getMessage().contains("header length 1000"), e.getMessage());
    }

    @Test
    void malformedJsonIsRejected() {
        byte[] file = rawFile("{\"t\": {\"dtype\": \"F32\", ", new byte[4]);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SafetensorsFile.read(file, "bad"));
        assertTrue(e.getMessage().contains("not valid JSON"), e.getMessage());
    }

    @Test
    void unknownDtypeNamesTensorAndField() {
        byte[] file = rawFile("{\"w\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,8]}}", new byte[8]);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SafetensorsFile.read(file, "bad"));
        assertTrue(e.getMessage().contains("tensor w"), e.getMessage());
        assertTrue(e.getMessage().contains("dtype is F64"), e.getMessage());
    }

    @Test
    void sizeThatDisagreesWithShapeIsRejected() {
        byte[] file = rawFile("{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", new byte[8]);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SafetensorsFile.read(file, "bad"));
        assertTrue(e.getMessage().contains("tensor w: field data_offsets [0, 8]"), e.getMessage());
        assertTrue(e.getMessage().contains("needs 12"), e.getMessage());
    }

    @Test
    void overlappingOffsetsAreRejected() {
        byte[] file = rawFile("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", new byte[12]);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SafetensorsFile.read(file, "bad"));
        assertTrue(e.getMessage().contains("tensor b"), e.getMessage());
        assertTrue(e.getMessage().contains("overlaps tensor a"), e.getMessage());
    }

    @Test
    void gapBetweenTensorsIsRejected() {
        byte[] file = rawFile("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", new byte[12]);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SafetensorsFile.read(file, "bad"));
        assertTrue(e.getMessage().contains("leaves a gap"), e.getMessage());
    }

    @Test
    void offsetsBeyondDataSectionAreRejected() {
        byte[] file = rawFile("{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", new byte[8]);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SafetensorsFile.read(file, "bad"));
        assertTrue(e.getMessage().contains("tensor w: data_offsets end 16 is beyond the data section of 8"),
                e.getMessage());
    }

    @Test
    void trailingBytesAreRejected() {
        byte[] file = rawFile("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", new byte[8]);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SafetensorsFile.read(file, "bad"));
        assertTrue(e.getMessage().contains("cover only 4"), e.getMessage());
    }

    @Test
    void nonStringMetadataIsRejected() {
        byte[] file = rawFile("{\"__metadata__\":{\"dim\":64}}", new byte[0]);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SafetensorsFile.read(file, "bad"));
        assertTrue(e.getMessage().contains("field dim must be a string"), e.getMessage());
    }

    @Test
    void duplicateTensorNameIsRejected() {
        byte[] file = rawFile("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", new byte[8]);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SafetensorsFile.read(file, "bad"));
        assertTrue(e.getMessage().contains("Duplicate field 'w'"), e.getMessage());
    }

    @Test
    void corruptOrTruncatedBytesGiveOnlyIllegalArgument() throws IOException {
        // every truncation and many single-byte corruptions must end in a clear IllegalArgumentException or a
        // successful read, never an index or parser exception from inside the reader
        Path file = dir.resolve("small.safetensors");
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("a", Tensor.of(new float[] {1f, 2f, 3f}, 3));
        tensors.put("b", Tensor.of(new float[] {4f, 5f}, 1, 2));
        SafetensorsFile.write(file, tensors, Map.of("k", "v"), SafetensorsDtype.BF16);
        byte[] good = Files.readAllBytes(file);
        for (int length = 0; length < good.length; length++) {
            byte[] cut = Arrays.copyOf(good, length);
            assertThrows(IllegalArgumentException.class, () -> SafetensorsFile.read(cut, "cut"), "length " + length);
        }
        Random random = new Random(9);
        for (int trial = 0; trial < 500; trial++) {
            byte[] bad = good.clone();
            bad[random.nextInt(bad.length)] = (byte) random.nextInt(256);
            try {
                SafetensorsFile.read(bad, "corrupt");
            } catch (IllegalArgumentException expected) {
                // a clear rejection is fine
            }
        }
    }

    /** Builds a file with one tensor "t" of the given 16-bit patterns, by hand rather than with the writer. */
    private static byte[] handMadeFile(String dtype, short[] bits) {
        ByteBuffer data = ByteBuffer.allocate(bits.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (short b : bits) {
            data.putShort(b);
        }
        int elements = dtype.equals("F32") ? bits.length / 2 : bits.length;
        return rawFile("{\"t\":{\"dtype\":\"" + dtype + "\",\"shape\":[" + elements + "],\"data_offsets\":[0,"
                + bits.length * 2 + "]}}", data.array());
    }

    private static byte[] rawFile(String json, byte[] data) {
        byte[] header = json.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length).array());
        out.writeBytes(header);
        out.writeBytes(data);
        return out.toByteArray();
    }
}
