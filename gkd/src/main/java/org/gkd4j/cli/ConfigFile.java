package org.gkd4j.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.gkd4j.gkd.train.TrainConfig;

/** Builds the effective {@link TrainConfig}: the mode's defaults, then a JSON config file, then the command line. */
public final class ConfigFile {

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);

    private ConfigFile() {
    }

    /**
     * Layers {@code base}, the file (when not null) and the command-line options; the later layer wins.
     * Raises IllegalArgumentException naming the file and key for an unreadable file, an unknown key or a bad value.
     */
    public static TrainConfig merge(TrainConfig base, Path file, ObjectNode commandLine) {
        ObjectNode merged = JSON.valueToTree(base);
        if (file != null) {
            merged.setAll(read(file));
        }
        merged.setAll(commandLine);
        try {
            return JSON.treeToValue(merged, TrainConfig.class);
        } catch (UnrecognizedPropertyException e) {
            throw new IllegalArgumentException("config file " + file + ": unknown key \"" + e.getPropertyName()
                    + "\"; keys are the long option names without dashes, for example \"batch-size\"");
        } catch (MismatchedInputException e) {
            throw new IllegalArgumentException(wrongType(file, merged, e));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("config" + (file == null ? "" : " file " + file) + ": invalid value ("
                    + e.getOriginalMessage() + ")");
        }
    }

    /** Names the key, the expected type and the value given, for example: steps must be an integer, got "five". */
    static String wrongType(Path file, ObjectNode merged, MismatchedInputException e) {
        String where = file == null ? "config" : file.toString();
        if (e.getPath().isEmpty() || e.getPath().getLast().getFieldName() == null) {
            return where + ": invalid value (" + e.getOriginalMessage() + ")";
        }
        String key = e.getPath().getLast().getFieldName();
        Class<?> type = e.getTargetType();
        String expected;
        if (type == int.class || type == Integer.class || type == long.class || type == Long.class) {
            expected = "an integer";
        } else if (type == double.class || type == Double.class || type == float.class || type == Float.class) {
            expected = "a number";
        } else if (type == boolean.class || type == Boolean.class) {
            expected = "true or false";
        } else if (type == String.class) {
            expected = "a string";
        } else {
            expected = "a " + (type == null ? "different value" : type.getSimpleName());
        }
        JsonNode given = merged.get(key);
        return where + ": " + key + " must be " + expected + ", got " + (given == null ? "null" : given.toString());
    }

    /** Reads a JSON object from {@code file}. */
    public static ObjectNode read(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("config file " + file + " is not found");
        }
        JsonNode node;
        try {
            node = JSON.readTree(Files.readString(file));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("config file " + file + " is not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new IllegalArgumentException("config file " + file + " is not readable: " + e.getMessage());
        }
        if (node == null || !node.isObject()) {
            throw new IllegalArgumentException("config file " + file + " must hold one JSON object of option names");
        }
        return (ObjectNode) node;
    }

    /** Returns the config as indented JSON, the form written to config.json. */
    public static String toJson(TrainConfig config) {
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(config) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("config: cannot write as JSON", e);
        }
    }
}
