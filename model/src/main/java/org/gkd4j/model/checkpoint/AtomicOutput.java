package org.gkd4j.model.checkpoint;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * A little-endian binary writer that writes to a temporary file in the target's directory and, on
 * {@link #commit}, syncs it and renames it over the target atomically, so a crash leaves either the old file or
 * the complete new one. Closing without commit deletes the temporary file.
 */
final class AtomicOutput implements AutoCloseable {

    /** Bytes buffered per write call. */
    private static final int CHUNK_BYTES = 1 << 20;

    private final Path target;
    private final Path temp;
    private final FileChannel channel;
    private final ByteBuffer chunk = ByteBuffer.allocate(CHUNK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    private boolean committed;

    AtomicOutput(Path file) {
        this.target = file.toAbsolutePath();
        try {
            this.temp = Files.createTempFile(target.getParent(), target.getFileName() + ".", ".tmp");
        } catch (IOException e) {
            throw new UncheckedIOException("failed to create a temporary file next to " + file + ": " + e.getMessage(),
                    e);
        }
        try {
            this.channel = FileChannel.open(temp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
        } catch (IOException e) {
            deleteQuietly(temp);
            throw new UncheckedIOException("failed to open " + temp + " for writing: " + e.getMessage(), e);
        }
    }

    void putInt(int value) {
        room(4).putInt(value);
    }

    void putLong(long value) {
        room(8).putLong(value);
    }

    void putFloat(float value) {
        room(4).putFloat(value);
    }

    void putShort(short value) {
        room(2).putShort(value);
    }

    void putByte(byte value) {
        room(1).put(value);
    }

    void putBytes(byte[] values) {
        for (byte value : values) {
            room(1).put(value);
        }
    }

    /** Writes {@code count} consecutive floats of {@code data} from {@code offset}. */
    void putFloats(float[] data, int offset, int count) {
        for (int i = offset; i < offset + count; i++) {
            room(4).putFloat(data[i]);
        }
    }

    /** Writes zero bytes until {@code size} bytes have been written in total. */
    void padTo(long size) {
        while (written() < size) {
            room(1).put((byte) 0);
        }
    }

    /** Returns the number of bytes written so far. */
    long written() {
        try {
            return channel.position() + chunk.position();
        } catch (IOException e) {
            throw new UncheckedIOException("failed to write " + temp + ": " + e.getMessage(), e);
        }
    }

    /**
     * Sets rw-r--r-- on a POSIX file system: createTempFile makes the file private (rw-------), and the rename
     * keeps that mode, but a model file is meant to be shared like any other output.
     */
    private static void makeWorldReadable(Path file) throws IOException {
        if (file.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        }
    }

    /** Flushes, syncs and renames the temporary file over the target. */
    void commit() {
        try {
            flush();
            channel.force(true);
            channel.close();
            makeWorldReadable(temp);
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            committed = true;
        } catch (IOException e) {
            throw new UncheckedIOException("failed to write " + target + ": " + e.getMessage(), e);
        }
    }

    private ByteBuffer room(int bytes) {
        if (chunk.remaining() < bytes) {
            flush();
        }
        return chunk;
    }

    private void flush() {
        chunk.flip();
        try {
            while (chunk.hasRemaining()) {
                channel.write(chunk);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("failed to write " + temp + ": " + e.getMessage(), e);
        }
        chunk.clear();
    }

    @Override
    public void close() {
        if (committed) {
            return;
        }
        try {
            channel.close();
        } catch (IOException ignored) {
            // the error that stopped the write matters more than a failed close
        }
        deleteQuietly(temp);
    }

    private static void deleteQuietly(Path path) {
        try {
            Files.deleteIfExists(path);
        } catch (IOException ignored) {
            // a leftover temporary file is harmless next to the error being reported
        }
    }
}
