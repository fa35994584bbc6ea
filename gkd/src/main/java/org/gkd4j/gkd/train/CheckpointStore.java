package org.gkd4j.gkd.train;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The checkpoints/ directory of a run: one {@code step-NNNNNNNN} directory per checkpoint holding the student
 * weights, the optimizer state and {@code state.json}. Each is written under a temporary name and renamed whole,
 * so a crash leaves either a complete checkpoint or none; only the most recent {@code keep} are kept.
 */
public final class CheckpointStore {

    public static final String STUDENT_FILE = "student.safetensors";
    public static final String OPTIMIZER_FILE = "optimizer.safetensors";
    public static final String STATE_FILE = "state.json";

    private static final Pattern STEP_DIR = Pattern.compile("step-(\\d{8})");
    private static final ObjectMapper JSON = new ObjectMapper().enable(JsonParser.Feature.ALLOW_NON_NUMERIC_NUMBERS);

    /** Writes the checkpoint's weight files into a directory. */
    @FunctionalInterface
    public interface Writer {
        void writeInto(Path directory) throws IOException;
    }

    private final Path root;
    private final int keep;

    public CheckpointStore(Path root, int keep) {
        this.root = root;
        this.keep = keep;
    }

    public Path root() {
        return root;
    }

    /** Writes checkpoint {@code state.step()} atomically, then deletes all but the newest {@code keep}. */
    public Path save(CheckpointState state, Writer weights) throws IOException {
        Files.createDirectories(root);
        Path target = root.resolve(String.format("step-%08d", state.step()));
        Path temp = root.resolve(".tmp-" + target.getFileName());
        AtomicFiles.deleteTree(temp);
        Files.createDirectories(temp);
        weights.writeInto(temp);
        Files.writeString(temp.resolve(STATE_FILE), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(state));
        AtomicFiles.deleteTree(target);
        AtomicFiles.move(temp, target);
        prune();
        return target;
    }

    /** Returns the newest complete checkpoint directory, if any. */
    public Optional<Path> latest() throws IOException {
        List<Path> all = list();
        return all.isEmpty() ? Optional.empty() : Optional.of(all.getLast());
    }

    /** Reads the state.json of a checkpoint directory. */
    public static CheckpointState readState(Path checkpoint) throws IOException {
        return JSON.readValue(Files.readString(checkpoint.resolve(STATE_FILE)), CheckpointState.class);
    }

    /** Returns the complete checkpoint directories, oldest first. */
    public List<Path> list() throws IOException {
        List<Path> found = new ArrayList<>();
        if (!Files.isDirectory(root)) {
            return found;
        }
        try (var entries = Files.list(root)) {
            for (Path entry : entries.sorted().toList()) {
                Matcher matcher = STEP_DIR.matcher(entry.getFileName().toString());
                if (matcher.matches() && Files.isRegularFile(entry.resolve(STATE_FILE))) {
                    found.add(entry);
                }
            }
        }
        return found;
    }

    private void prune() throws IOException {
        List<Path> all = list();
        for (int i = 0; i < all.size() - keep; i++) {
            AtomicFiles.deleteTree(all.get(i));
        }
    }
}
