package org.gkd4j.gkd.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedWriter;
import java.io.Closeable;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The metrics log, metrics.jsonl: one JSON object per training step and per evaluation, flushed line by line so a
 * crashed run keeps every finished step.
 */
public final class MetricsLog implements Closeable {

    public static final ObjectMapper JSON = new ObjectMapper();

    private final BufferedWriter writer;

    private MetricsLog(BufferedWriter writer) {
        this.writer = writer;
    }

    /** Opens the log for appending, creating it when missing. */
    public static MetricsLog open(Path path) throws IOException {
        return new MetricsLog(Files.newBufferedWriter(path, StandardCharsets.UTF_8,
                StandardOpenOption.CREATE, StandardOpenOption.APPEND));
    }

    public void write(ObjectNode line) throws IOException {
        writer.write(JSON.writeValueAsString(line));
        writer.write('\n');
        writer.flush();
    }

    /** Reads every line of a log. */
    public static List<ObjectNode> read(Path path) throws IOException {
        List<ObjectNode> lines = new ArrayList<>();
        if (!Files.exists(path)) {
            return lines;
        }
        for (String line : Files.readAllLines(path, StandardCharsets.UTF_8)) {
            if (!line.isBlank()) {
                lines.add((ObjectNode) JSON.readTree(line));
            }
        }
        return lines;
    }

    /**
     * Drops the lines of steps after {@code lastStep}, so a run resumed from a checkpoint does not log those steps
     * twice. The file is rewritten through a temporary file and a rename.
     */
    public static void truncateAfter(Path path, int lastStep) throws IOException {
        if (!Files.exists(path)) {
            return;
        }
        StringBuilder kept = new StringBuilder();
        for (ObjectNode line : read(path)) {
            if (line.path("step").asInt() <= lastStep) {
                kept.append(JSON.writeValueAsString(line)).append('\n');
            }
        }
        AtomicFiles.writeString(path, kept.toString());
    }

    @Override
    public void close() throws IOException {
        writer.close();
    }
}
