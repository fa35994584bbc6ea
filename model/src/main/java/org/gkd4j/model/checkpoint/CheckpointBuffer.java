package org.gkd4j.model.checkpoint;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A little-endian cursor over the bytes of a checkpoint that checks every read against the end of the file and
 * names the field being read, so a truncated or corrupt file gives a clear error rather than an index exception.
 *
 * <p>A file is memory-mapped (no 2 GiB limit) for as long as the buffer is open; the readers copy what they need
 * into heap arrays, so close it once the weights are built.
 */
final class CheckpointBuffer implements AutoCloseable {

    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat FLOAT =
            ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort SHORT =
            ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final MemorySegment bytes;
    private final Arena arena;
    private final String source;
    private long position;

    private CheckpointBuffer(MemorySegment bytes, Arena arena, String source) {
        this.bytes = bytes;
        this.arena = arena;
        this.source = source;
    }

    /** Wraps bytes already in memory, for example a classpath resource; {@code source} names it in errors. */
    static CheckpointBuffer of(byte[] data, String source) {
        return new CheckpointBuffer(MemorySegment.ofArray(data), null, source);
    }

    /** Memory-maps {@code file} read-only. */
    static CheckpointBuffer map(Path file) {
        Arena arena = Arena.ofConfined();
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            MemorySegment segment = channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size(), arena);
            return new CheckpointBuffer(segment, arena, file.toString());
        } catch (IOException e) {
            arena.close();
            throw new UncheckedIOException("checkpoint: failed to read " + file + ": " + e.getMessage(), e);
        }
    }

    long size() {
        return bytes.byteSize();
    }

    long position() {
        return position;
    }

    String source() {
        return source;
    }

    void seek(long offset, String field) {
        if (offset < 0 || offset > size()) {
            throw error(field + " starts at byte " + offset + " but the file has only " + size() + " bytes");
        }
        position = offset;
    }

    int readInt(String field) {
        require(4, field);
        int value = bytes.get(INT, position);
        position += 4;
        return value;
    }

    long readLong(String field) {
        require(8, field);
        long value = bytes.get(LONG, position);
        position += 8;
        return value;
    }

    int readUnsignedByte(String field) {
        require(1, field);
        int value = Byte.toUnsignedInt(bytes.get(ValueLayout.JAVA_BYTE, position));
        position += 1;
        return value;
    }

    /** Reads {@code count} little-endian float32 values. */
    float[] readFloats(long count, String field) {
        float[] out = new float[checkedCount(count, field)];
        require(count * 4, field);
        MemorySegment.copy(bytes, FLOAT, position, out, 0, out.length);
        position += count * 4;
        return out;
    }

    /** Reads {@code count} little-endian 16-bit values (float16 or bfloat16 bit patterns). */
    short[] readShorts(long count, String field) {
        short[] out = new short[checkedCount(count, field)];
        require(count * 2, field);
        MemorySegment.copy(bytes, SHORT, position, out, 0, out.length);
        position += count * 2;
        return out;
    }

    byte[] readBytes(long count, String field) {
        byte[] out = new byte[checkedCount(count, field)];
        require(count, field);
        MemorySegment.copy(bytes, ValueLayout.JAVA_BYTE, position, out, 0, out.length);
        position += count;
        return out;
    }

    /** Returns the number of bytes after the cursor. */
    long remaining() {
        return size() - position;
    }

    /** Returns an IllegalArgumentException whose message starts with the file name. */
    IllegalArgumentException error(String message) {
        return new IllegalArgumentException("checkpoint " + source + ": " + message);
    }

    private void require(long count, String field) {
        if (count > remaining()) {
            throw error("truncated: " + field + " needs " + count + " bytes at offset " + position + " but only "
                    + remaining() + " remain (file size " + size() + ")");
        }
    }

    private int checkedCount(long count, String field) {
        if (count < 0 || count > Integer.MAX_VALUE - 64) {
            throw error(field + " has " + count + " elements, which is invalid: it is negative or exceeds the"
                    + " maximum Java array length");
        }
        return (int) count;
    }

    @Override
    public void close() {
        if (arena != null) {
            arena.close();
        }
    }
}
