package org.gkd4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.gkd4j.gkd.train.AtomicFiles;
import org.gkd4j.gkd.train.CheckpointStore;
import org.gkd4j.gkd.train.GkdTrainer;
import org.gkd4j.gkd.train.ProgressBar;
import org.gkd4j.gkd.train.TrainConfig;
import org.gkd4j.gkd.train.TrainingDivergedException;
import org.gkd4j.gkd.train.TrainingSetup;
import org.gkd4j.model.ModelConfig;
import org.gkd4j.model.checkpoint.LlamaSafetensors;
import org.gkd4j.model.tokenizer.Tokenizers;
import org.gkd4j.tensor.kernels.Kernels;
import org.gkd4j.tensor.kernels.Parallel;

/**
 * The shared body of {@code gkd4j distill} and {@code gkd4j sft}: builds the effective config, loads and checks
 * everything, and only then creates the output directory, writes config.json and trains. Invalid input exits with
 * code 2 before anything is written; a diverged run exits with code 1.
 */
final class TrainCommand {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Options of the GKD loss and its sampling mixture, which sft has no use for. */
    static final List<String> DISTILL_ONLY = List.of("lambda", "beta", "divergence",
            "loss-temperature", "seq-kd", "reward", "reward-weight");

    private TrainCommand() {
    }

    static int run(String mode, TrainOptions options, PrintStream out, PrintStream err) {
        String command = "gkd4j " + mode;
        TrainingSetup setup;
        Path outputDir;
        boolean resume = options.resume != null;
        try {
            // effective config: defaults, then --config (or the resumed run's config.json), then the command line
            TrainConfig config = effectiveConfig(mode, options);
            outputDir = Path.of(config.outputDir());
            warnIneffectiveOptions(command, config, err);
            checkOutputDir(outputDir, resume, options.overwrite, config, options.config);
            if (resume && Files.isRegularFile(outputDir.resolve(GkdTrainer.STUDENT_FILE))) {
                out.println("run " + outputDir + " already finished at step " + config.steps() + "; nothing to do");
                return 0;
            }
            setup = TrainingSetup.prepare(config);
            if (resume) {
                checkResumedStudent(outputDir, setup);
            }
            // kernel threads and backend: chosen before anything is written, so that an invalid -Dgkd4j.backend
            // exits with code 2 and the start-up log line shows the --threads count
            if (config.threads() > 0) {
                Parallel.setThreads(config.threads());
            }
            Kernels.backend();
        } catch (IllegalArgumentException | UncheckedIOException e) {
            err.println(command + ": " + e.getMessage());
            return Main.EXIT_USAGE;
        } catch (IOException e) {
            err.println(command + ": cannot read input: " + describeIoError(e));
            return Main.EXIT_USAGE;
        } catch (OutOfMemoryError e) {
            // nothing is written yet, so the run can be retried with a smaller shape or a larger heap
            err.println(command + ": out of memory while loading the models and data (" + maxHeap() + "); choose a"
                    + " smaller --student-* shape, or raise the heap with GKD4J_JAVA_OPTS=-Xmx...");
            return Main.EXIT_USAGE;
        }

        try {
            // output directory, created only now that every input is valid
            if (!resume) {
                if (options.overwrite) {
                    AtomicFiles.deleteTree(outputDir);
                }
                Files.createDirectories(outputDir);
                AtomicFiles.writeString(outputDir.resolve("config.json"), ConfigFile.toJson(setup.config()));
                copyTokenizer(setup.config().tokenizer(), outputDir);
            }
            out.println(String.format(Locale.ROOT, "%s: JDK %s, backend %s, %d threads; teacher %s, student %,d parameters; output %s",
                    command, Runtime.version(), Kernels.backend().name(), Parallel.threads(),
                    setup.teacher() == null ? "none" : String.format(Locale.ROOT, "%,d parameters",
                            setup.teacher().config().parameterCount()),
                    setup.student().config().parameterCount(), outputDir));
            // Ctrl-C or SIGTERM: name the checkpoint to resume from. The hook only reads, so it never leaves a partial checkpoint
            Thread interruptNote = new Thread(() -> err.println(interruptedMessage(command, outputDir)));
            Runtime.getRuntime().addShutdownHook(interruptNote);
            GkdTrainer.Summary summary;
            try {
                summary = new GkdTrainer(setup, outputDir, err, ProgressBar.stderrIsTerminal()).run(resume);
            } finally {
                try {
                    Runtime.getRuntime().removeShutdownHook(interruptNote);
                } catch (IllegalStateException shuttingDown) {
                    // the JVM is already exiting: the hook runs and prints the note
                }
            }
            int stepsRun = summary.steps() - summary.startStep();
            out.println(String.format(Locale.ROOT, "%s: %d %s in %.1f s%s, loss %.4f -> %.4f%s; report %s",
                    command, stepsRun, stepsRun == 1 ? "step" : "steps", summary.seconds(),
                    summary.startStep() > 0 ? " (resumed at step " + summary.startStep() + ")" : "",
                    summary.firstLoss(), summary.lastLoss(),
                    rklChange(summary), outputDir.resolve("report.md")));
            return 0;
        } catch (TrainingDivergedException e) {
            err.println(command + ": " + e.getMessage());
            return 1;
        } catch (OutOfMemoryError e) {
            err.println(command + ": out of memory while training (" + maxHeap() + "); lower --batch-size,"
                    + " --max-new-tokens or --chunk-rows, or raise the heap with GKD4J_JAVA_OPTS=-Xmx..., then"
                    + " continue with: " + command + " --resume " + outputDir);
            return 1;
        } catch (IOException | UncheckedIOException e) {
            err.println(command + ": failed writing to " + outputDir + ": " + describeIoError(e));
            return 1;
        }
    }

    /**
     * Describes an I/O error for a message. A java.nio file exception without a reason has only the path as its
     * message, for example "/proc/x" for a NoSuchFileException, so the path is followed by the kind of failure.
     */
    static String describeIoError(Exception e) {
        Throwable cause = e;
        if (e instanceof UncheckedIOException unchecked && unchecked.getCause() != null) {
            cause = unchecked.getCause();
        }
        if (!(cause instanceof java.nio.file.FileSystemException fileError)) {
            return cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
        }
        String kind = switch (fileError) {
            case java.nio.file.NoSuchFileException ignored -> "no such file or directory";
            case java.nio.file.AccessDeniedException ignored -> "permission denied";
            case java.nio.file.FileAlreadyExistsException ignored -> "file already exists";
            case java.nio.file.NotDirectoryException ignored -> "not a directory";
            case java.nio.file.DirectoryNotEmptyException ignored -> "directory not empty";
            default -> fileError.getReason() != null ? fileError.getReason() : fileError.getClass().getSimpleName();
        };
        return fileError.getFile() + ": " + kind;
    }

    private static String maxHeap() {
        return String.format(Locale.ROOT, "the maximum heap is %.1f GiB", Runtime.getRuntime().maxMemory() / 1073741824.0);
    }

    /** Warns about settings that are valid but change nothing, so that a typo in a sweep does not go unnoticed. */
    static void warnIneffectiveOptions(String command, TrainConfig config, PrintStream err) {
        if (config.seqKd() && config.lambda() >= 1) {
            err.println(command + ": warning: --seq-kd has no effect with --lambda " + config.lambda()
                    + ": every step is on-policy, so no step trains on teacher samples");
        }
        if (config.reward() != null && config.lambda() <= 0) {
            err.println(command + ": warning: --reward has no effect with --lambda " + config.lambda()
                    + ": the reward term applies only to on-policy steps, and there are none");
        }
        TrainConfig defaults = TrainConfig.defaults(config.mode());
        if (config.reward() == null && config.rewardWeight() != defaults.rewardWeight()) {
            err.println(command + ": warning: --reward-weight " + config.rewardWeight() + " has no effect without"
                    + " --reward");
        }
        if (config.student() != null) {
            List<String> shape = new java.util.ArrayList<>();
            addIfChanged(shape, "--student-dim", config.studentDim(), defaults.studentDim());
            addIfChanged(shape, "--student-layers", config.studentLayers(), defaults.studentLayers());
            addIfChanged(shape, "--student-heads", config.studentHeads(), defaults.studentHeads());
            addIfChanged(shape, "--student-kv-heads", config.studentKvHeads(), defaults.studentKvHeads());
            addIfChanged(shape, "--student-hidden-dim", config.studentHiddenDim(), defaults.studentHiddenDim());
            if (!shape.isEmpty()) {
                String verb = shape.size() == 1 ? " has" : " have";
                err.println(command + ": warning: " + String.join(", ", shape) + verb + " no effect with --student "
                        + config.student() + ", because the checkpoint sets the student's shape");
            }
        }
    }

    private static void addIfChanged(List<String> options, String name, int value, int defaultValue) {
        if (value != defaultValue) {
            options.add(name + " " + value);
        }
    }

    /** Returns the line printed when a signal stops a run: its newest checkpoint and the command that resumes it. */
    static String interruptedMessage(String command, Path outputDir) {
        String checkpoint;
        try {
            checkpoint = new CheckpointStore(outputDir.resolve(GkdTrainer.CHECKPOINTS_DIR), Integer.MAX_VALUE).latest()
                    .map(latest -> "the last checkpoint is " + latest)
                    .orElse("no checkpoint was written yet (the run restarts from step 0)");
        } catch (IOException | UncheckedIOException e) {
            checkpoint = "the checkpoints in " + outputDir.resolve(GkdTrainer.CHECKPOINTS_DIR) + " are not readable";
        }
        return command + ": stopped; " + checkpoint + "; continue with: " + command + " --resume " + outputDir;
    }

    /**
     * Copies the tokenizer the run uses beside student.safetensors, so that generate and eval find it there: the
     * given file's bytes, or the shipped stories260K tokenizer from the classpath.
     */
    static void copyTokenizer(String tokenizer, Path outputDir) throws IOException {
        if (tokenizer == null) {
            try (java.io.InputStream in = Tokenizers.class.getResourceAsStream(Tokenizers.STORIES_260K_RESOURCE)) {
                if (in == null) {
                    throw new IOException("resource " + Tokenizers.STORIES_260K_RESOURCE + " is missing from the jar");
                }
                AtomicFiles.writeBytes(outputDir.resolve("tokenizer.bin"), in.readAllBytes());
            }
            return;
        }
        Path source = Path.of(tokenizer);
        if (Files.isDirectory(source)) {
            source = Files.isRegularFile(source.resolve("tokenizer.json")) ? source.resolve("tokenizer.json")
                    : source.resolve("tokenizer.bin");
        }
        String name = source.getFileName().toString().endsWith(".json") ? "tokenizer.json" : "tokenizer.bin";
        AtomicFiles.writeBytes(outputDir.resolve(name), Files.readAllBytes(source));
    }

    private static String rklChange(GkdTrainer.Summary summary) {
        if (summary.firstEval() == null || summary.lastEval() == null
                || !Double.isFinite(summary.firstEval().rklOnPolicy())) {
            return "";
        }
        return String.format(Locale.ROOT, ", held-out on-policy reverse KL %.4f -> %.4f",
                summary.firstEval().rklOnPolicy(), summary.lastEval().rklOnPolicy());
    }

    static TrainConfig effectiveConfig(String mode, TrainOptions options) {
        ObjectNode commandLine = options.given();
        if (mode.equals("sft")) {
            for (String key : DISTILL_ONLY) {
                if (commandLine.has(key)) {
                    throw new IllegalArgumentException("--" + key + " is a distill option; sft trains with"
                            + " cross-entropy on the data's completions only: drop --" + key + " or run gkd4j distill");
                }
            }
        }
        commandLine.put("mode", mode);
        TrainConfig config;
        Path configFile;
        if (options.resume != null) {
            configFile = options.resume.resolve("config.json");
            checkResume(mode, options, configFile);
            ObjectNode identity = JSON.createObjectNode();
            identity.put("mode", mode);
            identity.put("output-dir", options.resume.toString());
            config = ConfigFile.merge(TrainConfig.defaults(mode), configFile, identity);
            rejectChangedOptions(options.resume, config, commandLine);
        } else {
            configFile = options.config;
            config = ConfigFile.merge(TrainConfig.defaults(mode), configFile, commandLine);
        }
        if (configFile != null && options.resume == null) {
            rejectOtherMode(mode, configFile);
        }
        if (mode.equals("sft") && configFile != null) {
            rejectDistillOnlyKeys(configFile, config);
        }
        if (config.outputDir() == null) {
            String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
            ObjectNode withDir = options.given();
            withDir.put("mode", mode);
            withDir.put("output-dir", Path.of("runs", mode + "-" + stamp).toString());
            config = ConfigFile.merge(config, null, withDir);
        }
        config.validate();
        return config;
    }

    /**
     * Checks that {@code --resume} names a run directory of this command, and rejects the options that contradict
     * continuing it in place: --config, --overwrite and another --output-dir.
     */
    static void checkResume(String mode, TrainOptions options, Path savedConfig) {
        Path runDir = options.resume;
        if (!Files.isRegularFile(savedConfig)) {
            throw new IllegalArgumentException("--resume " + runDir + " has no config.json; pass the output "
                    + "directory of an earlier run");
        }
        if (options.config != null) {
            throw new IllegalArgumentException("--resume " + runDir + " uses its own config.json;"
                    + " drop --config " + options.config);
        }
        if (options.overwrite) {
            throw new IllegalArgumentException("--resume " + runDir + " continues that run in place, so --overwrite"
                    + " would delete what it continues from; drop --overwrite");
        }
        if (options.outputDir != null && !Path.of(options.outputDir).toAbsolutePath().normalize()
                .equals(runDir.toAbsolutePath().normalize())) {
            throw new IllegalArgumentException("--resume " + runDir + " writes into that directory, not --output-dir "
                    + options.outputDir + "; drop --output-dir");
        }
        String savedMode = ConfigFile.mode(savedConfig);
        boolean knownMode = savedMode != null && List.of("distill", "sft").contains(savedMode);
        if (knownMode && !savedMode.equals(mode)) {
            throw new IllegalArgumentException("--resume " + runDir + " is a gkd4j " + savedMode + " run; "
                    + "continue it with: gkd4j " + savedMode + " --resume " + runDir);
        }
    }

    /**
     * Rejects a config file saved by the other command. A saved sft config.json lists every key at sft's values
     * (λ 0, fkl), so distill would otherwise silently run supervised KD on the fixed data.
     */
    static void rejectOtherMode(String mode, Path file) {
        String fileMode = ConfigFile.mode(file);
        if (fileMode != null && !fileMode.equals(mode)) {
            throw new IllegalArgumentException("config file " + file + " sets mode \"" + fileMode + "\", so it is a"
                    + " gkd4j " + fileMode + " config; run gkd4j " + fileMode + " --config " + file
                    + ", or remove the key \"mode\" to use its settings for " + mode);
        }
    }

    /**
     * Rejects a config file that sets a distill-only option for sft. A key at its sft default passes, because a
     * saved sft config.json lists every key; a distill run's config.json (λ 1, rkl) is rejected.
     */
    static void rejectDistillOnlyKeys(Path file, TrainConfig config) {
        ObjectNode fromFile = ConfigFile.read(file);
        ObjectNode effective = JSON.valueToTree(config);
        ObjectNode sftDefaults = JSON.valueToTree(TrainConfig.defaults("sft"));
        for (String key : DISTILL_ONLY) {
            if (fromFile.has(key) && !effective.get(key).equals(sftDefaults.get(key))) {
                throw new IllegalArgumentException("config file " + file + " sets " + key + " to " + fromFile.get(key)
                        + ", a distill option; sft trains with cross-entropy on the data's completions only: remove the"
                        + " key " + key + " from " + file + " (or set it to sft's value " + sftDefaults.get(key)
                        + "), or run gkd4j distill");
            }
        }
    }

    /**
     * Checks that the newest checkpoint of a resumed run contains a student of the shape the run's config.json
     * builds, so that a checkpoint from another model fails here with exit code 2 instead of while loading weights.
     */
    static void checkResumedStudent(Path runDir, TrainingSetup setup) throws IOException {
        Optional<Path> latest = new CheckpointStore(runDir.resolve(GkdTrainer.CHECKPOINTS_DIR), Integer.MAX_VALUE)
                .latest();
        if (latest.isEmpty()) {
            return;
        }
        Path weights = latest.get().resolve(CheckpointStore.STUDENT_FILE);
        ModelConfig saved;
        try {
            saved = LlamaSafetensors.read(weights).config();
        } catch (IllegalArgumentException | UncheckedIOException e) {
            throw new IllegalArgumentException("--resume " + runDir + ": the newest checkpoint is unreadable ("
                    + e.getMessage() + "); delete " + latest.get() + " to resume from the one before it");
        }
        ModelConfig expected = setup.student().config();
        if (!saved.equals(expected)) {
            throw new IllegalArgumentException("--resume " + runDir + ": checkpoint " + weights + " contains a student with "
                    + differences(saved, expected) + "; resume only the directory that wrote this checkpoint, with its"
                    + " config.json unchanged");
        }
    }

    /** Returns the fields where two model shapes differ, for example "dim 16 where config.json builds 8". */
    private static String differences(ModelConfig saved, ModelConfig expected) {
        List<String> fields = new java.util.ArrayList<>();
        for (java.lang.reflect.RecordComponent component : ModelConfig.class.getRecordComponents()) {
            try {
                Object savedValue = component.getAccessor().invoke(saved);
                Object expectedValue = component.getAccessor().invoke(expected);
                if (!savedValue.equals(expectedValue)) {
                    fields.add(component.getName() + " " + savedValue + " where config.json builds " + expectedValue);
                }
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("ModelConfig." + component.getName() + " is not readable", e);
            }
        }
        return String.join(", ", fields);
    }

    /**
     * A resumed run continues with its saved config.json: an option given again must have the saved value. A changed
     * --steps is rejected too, because the cosine learning-rate schedule spans --steps and the checkpoint's steps
     * were taken under the old schedule.
     */
    static void rejectChangedOptions(Path runDir, TrainConfig saved, ObjectNode commandLine) {
        ObjectNode savedTree = JSON.valueToTree(saved);
        ObjectNode requested = JSON.valueToTree(ConfigFile.merge(saved, null, commandLine));
        for (String key : options(commandLine)) {
            // threads change only the speed, not the result
            if (key.equals("mode") || key.equals("output-dir") || key.equals("threads") || !savedTree.has(key)) {
                continue;
            }
            if (!savedTree.get(key).equals(requested.get(key))) {
                throw new IllegalArgumentException("--" + key + " is " + requested.get(key) + " but the run " + runDir
                        + " was started with " + savedTree.get(key) + "; a resumed run keeps its config.json: drop --"
                        + key + ", or start a new run (--student " + runDir.resolve("student.safetensors")
                        + " continues from finished weights)");
            }
        }
    }

    private static List<String> options(ObjectNode node) {
        List<String> keys = new java.util.ArrayList<>();
        node.fieldNames().forEachRemaining(keys::add);
        return keys;
    }

    /** Checks that the nearest existing ancestor of {@code outputDir} is a writable directory, so creating it works. */
    private static void checkCreatable(Path outputDir) {
        Path existing = outputDir.toAbsolutePath().normalize();
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        if (existing == null) {
            return;
        }
        if (!Files.isDirectory(existing)) {
            throw new IllegalArgumentException("--output-dir " + outputDir + " cannot be created because " + existing
                    + " is a file; pass a path under a directory");
        }
        if (!Files.isWritable(existing)) {
            throw new IllegalArgumentException("--output-dir " + outputDir + " cannot be created because " + existing
                    + " is not writable; pass a directory you can write to");
        }
    }

    /** Returns whether {@code dir} contains a readable config.json saved by a run of {@code mode}. */
    private static boolean isRunOf(Path dir, String mode) {
        try {
            return mode.equals(ConfigFile.mode(dir.resolve("config.json")));
        } catch (IllegalArgumentException | UncheckedIOException unreadable) {
            return false;
        }
    }

    /**
     * Checks that the output directory may be written. --overwrite deletes only an earlier run directory (one with
     * config.json), and never one that contains a file this run reads.
     */
    private static void checkOutputDir(Path outputDir, boolean resume, boolean overwrite, TrainConfig config,
                                       Path configFile) throws IOException {
        if (resume) {
            return;
        }
        if (Files.exists(outputDir) && !Files.isDirectory(outputDir)) {
            throw new IllegalArgumentException("--output-dir " + outputDir + " is a file; pass a directory");
        }
        checkCreatable(outputDir);
        if (GkdTrainer.isEmptyDirectory(outputDir)) {
            return;
        }
        if (!overwrite) {
            String resumeHint = isRunOf(outputDir, config.mode())
                    ? ", --resume " + outputDir + " to continue that run" : "";
            throw new IllegalArgumentException("--output-dir " + outputDir + " is not empty; pass --overwrite to replace "
                    + "it" + resumeHint + ", or another directory");
        }
        if (!Files.isRegularFile(outputDir.resolve("config.json"))) {
            throw new IllegalArgumentException("--output-dir " + outputDir + " is not a gkd4j run directory (it has no"
                    + " config.json), so --overwrite does not delete it; pass another directory or empty it yourself");
        }
        Path dir = outputDir.toAbsolutePath().normalize();
        String[][] inputs = {{"--teacher", config.teacher()}, {"--student", config.student()},
                {"--tokenizer", config.tokenizer()}, {"--data", config.data()},
                {"--config", configFile == null ? null : configFile.toString()}};
        for (String[] input : inputs) {
            if (input[1] != null && Path.of(input[1]).toAbsolutePath().normalize().startsWith(dir)) {
                throw new IllegalArgumentException("--overwrite would delete " + input[0] + " " + input[1]
                        + ", which this run reads from " + outputDir + "; pass another --output-dir");
            }
        }
    }
}
