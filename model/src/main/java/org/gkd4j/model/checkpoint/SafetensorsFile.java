package org.gkd4j.model.checkpoint;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.gkd4j.tensor.Tensor;

/**
 * Reads and writes safetensors files: an 8-byte little-endian header length N, N bytes of JSON mapping each tensor
 * name to its dtype, shape and data_offsets [begin, end) within the data section (plus an optional
 * {@code __metadata__} map of strings), then the data section with the tensors in row-major little-endian order.
 *
 * <p>Any ordered map of named float tensors can be stored, for example optimizer state. Reading accepts F32, F16
 * and BF16 and returns float32 tensors; writing stores F32, F16 or BF16. A rank-0 tensor is read as shape [1].
 */
public final class SafetensorsFile {

    static final String METADATA = "__metadata__";
    private static final JsonMapper JSON = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

    private SafetensorsFile() {
    }

    /** The tensors of a file, in header order, and its {@code __metadata__} strings. */
    public record Contents(Map<String, Tensor> tensors, Map<String, String> metadata) {
    }

    /** One header entry: where a tensor lies in the data section, relative to the section start. */
    record Entry(String name, SafetensorsDtype dtype, int[] shape, long begin, long end) {
    }

    /** Reads every tensor of {@code file}, converted to float32. */
    public static Contents read(Path file) {
        try (CheckpointBuffer buffer = CheckpointBuffer.map(file)) {
            return read(buffer);
        }
    }

    /** Reads safetensors bytes held in memory; {@code source} names them in errors. */
    public static Contents read(byte[] data, String source) {
        try (CheckpointBuffer buffer = CheckpointBuffer.of(data, source)) {
            return read(buffer);
        }
    }

    /** Reads only the {@code __metadata__} strings of {@code file}. */
    public static Map<String, String> readMetadata(Path file) {
        try (CheckpointBuffer buffer = CheckpointBuffer.map(file)) {
            Map<String, String> metadata = new LinkedHashMap<>();
            readHeader(buffer, metadata);
            return metadata;
        }
    }

    static Contents read(CheckpointBuffer buffer) {
        Map<String, String> metadata = new LinkedHashMap<>();
        List<Entry> entries = readHeader(buffer, metadata);
        long dataStart = buffer.position();
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (Entry entry : entries) {
            buffer.seek(dataStart + entry.begin(), "tensor " + entry.name());
            long count = Llama2cReader.product(entry.shape());
            String field = "tensor " + entry.name();
            float[] values = switch (entry.dtype()) {
                case F32 -> buffer.readFloats(count, field);
                case F16 -> decode(buffer.readShorts(count, field), false);
                case BF16 -> decode(buffer.readShorts(count, field), true);
            };
            tensors.put(entry.name(), Tensor.of(values, entry.shape()));
        }
        return new Contents(Collections.unmodifiableMap(tensors), Collections.unmodifiableMap(metadata));
    }

    private static float[] decode(short[] bits, boolean bf16) {
        float[] out = new float[bits.length];
        for (int i = 0; i < bits.length; i++) {
            out[i] = bf16 ? SafetensorsDtype.bf16ToFloat(bits[i]) : SafetensorsDtype.f16ToFloat(bits[i]);
        }
        return out;
    }

    /**
     * Parses and validates the header, fills {@code metadata} and leaves the cursor at the data section. The
     * entries come back in header order; their byte ranges must tile the data section exactly, without gaps or
     * overlaps, as the safetensors format requires.
     */
    static List<Entry> readHeader(CheckpointBuffer buffer, Map<String, String> metadata) {
        // header length: 8 bytes LE, and the JSON must fit in the file
        long headerLength = buffer.readLong("safetensors header length");
        if (headerLength <= 0 || headerLength > buffer.remaining()) {
            throw buffer.error("safetensors header length " + headerLength + " is not within the " + buffer.remaining()
                    + " bytes after the 8-byte length field; the file is truncated or not safetensors");
        }
        byte[] json = buffer.readBytes(headerLength, "safetensors header");
        long dataSize = buffer.remaining();
        JsonNode root;
        try {
            root = JSON.readTree(new String(json, StandardCharsets.UTF_8));
        } catch (JacksonException e) {
            throw buffer.error("safetensors header is not valid JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) {
            throw buffer.error("safetensors header must be a JSON object mapping tensor names to entries");
        }

        // entries: dtype, shape and data_offsets of each tensor
        List<Entry> entries = new ArrayList<>();
        for (Map.Entry<String, JsonNode> field : root.properties()) {
            if (field.getKey().equals(METADATA)) {
                readMetadata(buffer, field.getValue(), metadata);
            } else {
                entries.add(parseEntry(buffer, field.getKey(), field.getValue()));
            }
        }

        // layout: sorted by offset, the byte ranges must be contiguous from 0 to the end of the file
        List<Entry> byOffset = new ArrayList<>(entries);
        byOffset.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long expectedBegin = 0;
        String previous = null;
        for (Entry entry : byOffset) {
            if (entry.begin() != expectedBegin) {
                throw buffer.error("tensor " + entry.name() + ": data_offsets begin " + entry.begin()
                        + (entry.begin() < expectedBegin ? " overlaps " : " leaves a gap after ")
                        + (previous == null ? "the start of the data section" : "tensor " + previous)
                        + ", which ends at " + expectedBegin);
            }
            if (entry.end() > dataSize) {
                throw buffer.error("tensor " + entry.name() + ": data_offsets end " + entry.end()
                        + " is beyond the data section of " + dataSize + " bytes; the file is truncated or corrupt");
            }
            expectedBegin = entry.end();
            previous = entry.name();
        }
        if (expectedBegin != dataSize) {
            throw buffer.error("safetensors data section has " + dataSize + " bytes but the tensors cover only "
                    + expectedBegin + "; the header and the data disagree");
        }
        return entries;
    }

    private static void readMetadata(CheckpointBuffer buffer, JsonNode node, Map<String, String> metadata) {
        if (!node.isObject()) {
            throw buffer.error("safetensors " + METADATA + " must be an object of strings, got " + node.getNodeType());
        }
        for (Map.Entry<String, JsonNode> field : node.properties()) {
            if (!field.getValue().isTextual()) {
                throw buffer.error("safetensors " + METADATA + " field " + field.getKey()
                        + " must be a string, got " + field.getValue());
            }
            metadata.put(field.getKey(), field.getValue().textValue());
        }
    }

    private static Entry parseEntry(CheckpointBuffer buffer, String name, JsonNode node) {
        String where = "tensor " + name + ": ";
        if (!node.isObject()) {
            throw buffer.error(where + "header entry must be an object with dtype, shape and data_offsets");
        }

        // dtype
        JsonNode dtypeNode = node.get("dtype");
        if (dtypeNode == null || !dtypeNode.isTextual()) {
            throw buffer.error(where + "field dtype is missing or not a string");
        }
        SafetensorsDtype dtype = SafetensorsDtype.parse(dtypeNode.textValue());
        if (dtype == null) {
            throw buffer.error(where + "field dtype is " + dtypeNode.textValue() + ", which gkd4j cannot read;"
                    + " supported: " + Arrays.toString(SafetensorsDtype.values()));
        }

        // shape: non-negative ints; a scalar (empty shape) becomes [1]
        JsonNode shapeNode = node.get("shape");
        if (shapeNode == null || !shapeNode.isArray()) {
            throw buffer.error(where + "field shape is missing or not an array");
        }
        int[] shape = new int[Math.max(1, shapeNode.size())];
        shape[0] = 1;
        for (int i = 0; i < shapeNode.size(); i++) {
            JsonNode d = shapeNode.get(i);
            if (!d.canConvertToInt() || !d.isIntegralNumber() || d.intValue() <= 0) {
                throw buffer.error(where + "field shape " + shapeNode + " must hold positive integers");
            }
            shape[i] = d.intValue();
        }
        long count;
        try {
            count = Tensor.sizeOf(shape, "tensor " + name);
        } catch (IllegalArgumentException e) {
            throw buffer.error(e.getMessage());
        }

        // data_offsets: [begin, end) with end - begin = elements · dtype size
        JsonNode offsets = node.get("data_offsets");
        if (offsets == null || !offsets.isArray() || offsets.size() != 2
                || !offsets.get(0).isIntegralNumber() || !offsets.get(1).isIntegralNumber()) {
            throw buffer.error(where + "field data_offsets must be an array of two integers [begin, end]");
        }
        long begin = offsets.get(0).longValue();
        long end = offsets.get(1).longValue();
        if (begin < 0 || end < begin) {
            throw buffer.error(where + "field data_offsets [" + begin + ", " + end + "] is not an ordered range");
        }
        if (end - begin != count * dtype.bytes()) {
            throw buffer.error(where + "field data_offsets [" + begin + ", " + end + "] spans " + (end - begin)
                    + " bytes but shape " + shapeNode + " of " + dtype + " needs " + count * dtype.bytes());
        }
        return new Entry(name, dtype, shape, begin, end);
    }

    /** Writes {@code tensors} as F32 with {@code metadata}; see {@link #write(Path, Map, Map, SafetensorsDtype)}. */
    public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) {
        write(file, tensors, metadata, SafetensorsDtype.F32);
    }

    /**
     * Writes {@code tensors} in map order, converted to {@code dtype}, with {@code metadata} as
     * {@code __metadata__}. The bytes go to a temporary file in the same directory, which is synced and then renamed
     * over {@code file}, so a crash leaves either the old file or the new one.
     */
    public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata,
                             SafetensorsDtype dtype) {
        if (tensors.containsKey(METADATA)) {
            throw new IllegalArgumentException("safetensors write: " + METADATA + " is reserved, not a tensor name");
        }

        // header: metadata first, then the tensors back to back; spaces pad it to a multiple of 8 bytes
        ObjectNode header = JSON.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode meta = header.putObject(METADATA);
            metadata.forEach(meta::put);
        }
        long offset = 0;
        for (Map.Entry<String, Tensor> entry : tensors.entrySet()) {
            ObjectNode node = header.putObject(entry.getKey());
            node.put("dtype", dtype.name());
            ArrayNode shape = node.putArray("shape");
            for (int d : entry.getValue().shape()) {
                shape.add(d);
            }
            long bytes = (long) entry.getValue().size() * dtype.bytes();
            node.putArray("data_offsets").add(offset).add(offset + bytes);
            offset += bytes;
        }
        byte[] json = header.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        byte[] headerBytes = Arrays.copyOf(json, padded);
        Arrays.fill(headerBytes, json.length, padded, (byte) ' ');

        // data: write to a temporary file, sync, then rename atomically
        try (AtomicOutput out = new AtomicOutput(file)) {
            out.putLong(padded);
            out.putBytes(headerBytes);
            for (Tensor tensor : tensors.values()) {
                float[] data = tensor.data();
                int end = tensor.offset() + tensor.size();
                for (int i = tensor.offset(); i < end; i++) {
                    switch (dtype) {
                        case F32 -> out.putFloat(data[i]);
                        case F16 -> out.putShort(SafetensorsDtype.floatToF16(data[i]));
                        case BF16 -> out.putShort(SafetensorsDtype.floatToBf16(data[i]));
                    }
                }
            }
            out.commit();
        }
    }
}
