package org.gkd4j.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import org.gkd4j.gkd.train.AtomicFiles;
import org.gkd4j.gkd.train.GkdTrainer;
import org.gkd4j.gkd.train.ProgressBar;
import org.gkd4j.gkd.train.TrainConfig;
import org.gkd4j.gkd.train.TrainingDivergedException;
import org.gkd4j.gkd.train.TrainingSetup;
import org.gkd4j.tensor.kernels.Kernels;
import org.gkd4j.tensor.kernels.Parallel;

/**
 * The shared body of {@code gkd4j distill} and {@code gkd4j sft}: builds the effective config, loads and checks
 * everything, and only then creates the output directory, writes config.json and trains. Invalid input exits with
 * code 2 before anything is written; a diverged run exits with code 1.
 */
final class TrainCommand {

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
            checkOutputDir(outputDir, resume, options.overwrite);
            setup = TrainingSetup.prepare(config);
        } catch (IllegalArgumentException | UncheckedIOException e) {
            err.println(command + ": " + e.getMessage());
            return Main.EXIT_USAGE;
        } catch (IOException e) {
            err.println(command + ": cannot read input: " + e.getMessage());
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
            }
            TrainConfig config = setup.config();
            if (config.threads() > 0) {
                Parallel.setThreads(config.threads());
            }
            out.println(String.format(Locale.ROOT, "%s: JDK %s, backend %s, %d threads; teacher %s, student %,d parameters; output %s",
                    command, Runtime.version(), Kernels.backend().name(), Parallel.threads(),
                    setup.teacher() == null ? "none" : String.format(Locale.ROOT, "%,d parameters",
                            setup.teacher().config().parameterCount()),
                    setup.student().config().parameterCount(), outputDir));
            GkdTrainer.Summary summary = new GkdTrainer(setup, outputDir, err, ProgressBar.stderrIsTerminal()).run(resume);
            out.println(String.format(Locale.ROOT, "%s: %d steps in %.1f s, loss %.4f -> %.4f%s; report %s",
                    command, summary.steps(), summary.seconds(), summary.firstLoss(), summary.lastLoss(),
                    rklChange(summary), outputDir.resolve("report.md")));
            return 0;
        } catch (TrainingDivergedException e) {
            err.println(command + ": " + e.getMessage());
            return 1;
        } catch (IOException | UncheckedIOException e) {
            err.println(command + ": failed writing to " + outputDir + ": " + e.getMessage());
            return 1;
        }
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
        commandLine.put("mode", mode);
        TrainConfig config;
        if (options.resume != null) {
            Path saved = options.resume.resolve("config.json");
            if (!Files.isRegularFile(saved)) {
                throw new IllegalArgumentException("--resume " + options.resume + " has no config.json; pass the output "
                        + "directory of an earlier run");
            }
            commandLine.put("output-dir", options.resume.toString());
            config = ConfigFile.merge(TrainConfig.defaults(mode), saved, commandLine);
        } else {
            config = ConfigFile.merge(TrainConfig.defaults(mode), options.config, commandLine);
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

    private static void checkOutputDir(Path outputDir, boolean resume, boolean overwrite) throws IOException {
        if (resume) {
            return;
        }
        if (Files.exists(outputDir) && !Files.isDirectory(outputDir)) {
            throw new IllegalArgumentException("--output-dir " + outputDir + " is a file; pass a directory");
        }
        if (!overwrite && !GkdTrainer.isEmptyDirectory(outputDir)) {
            throw new IllegalArgumentException("--output-dir " + outputDir + " is not empty; pass --overwrite to replace "
                    + "it, --resume " + outputDir + " to continue that run, or another directory");
        }
    }
}
