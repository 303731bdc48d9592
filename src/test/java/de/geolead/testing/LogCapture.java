package de.geolead.testing;

import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Property;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Collects the formatted log lines written while it is open, to assert what ops would read. */
public final class LogCapture extends AbstractAppender implements AutoCloseable {

    private final List<String> lines = new CopyOnWriteArrayList<>();
    private final List<String> withExceptions = new CopyOnWriteArrayList<>();
    private final List<String> threads = new CopyOnWriteArrayList<>();

    private LogCapture() {
        super("test-capture-" + System.nanoTime(), null, null, true, Property.EMPTY_ARRAY);
    }

    /** The last 40 lines of a log file (a child process's, a broker's), for a failure message; "" if there is none. */
    public static String tail(Path log) {
        try {
            if (!Files.exists(log)) {
                return "";
            }
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            return "(unreadable: " + e + ")";
        }
    }

    public static LogCapture open() {
        LogCapture capture = new LogCapture();
        capture.start0();
        return capture;
    }

    private void start0() {
        start();
        LoggerContext context = (LoggerContext) LogManager.getContext(false);
        context.getConfiguration().getRootLogger().addAppender(this, null, null);
        context.updateLoggers();
    }

    @Override
    public void append(LogEvent event) {
        String line = event.getLevel() + " " + event.getLoggerName() + " " + event.getMessage().getFormattedMessage();
        threads.add(event.getThreadName() + "\t" + line);
        lines.add(line);
        StringBuilder full = new StringBuilder(line);
        for (Throwable t = event.getThrown(); t != null; t = t.getCause() == t ? null : t.getCause()) {
            full.append(" | ").append(t);
        }
        withExceptions.add(full.toString());
    }

    /** The lines with the messages of their exceptions and causes appended, as the console output shows them. */
    public List<String> linesWithExceptions() {
        return List.copyOf(withExceptions);
    }

    public List<String> lines() {
        return List.copyOf(lines);
    }

    public List<String> linesContaining(String text) {
        return lines.stream().filter(line -> line.contains(text)).toList();
    }

    /** The names of the threads that wrote the lines containing {@code text}, in order. */
    public List<String> threadsOf(String text) {
        return threads.stream().filter(entry -> entry.substring(entry.indexOf('\t') + 1).contains(text))
                .map(entry -> entry.substring(0, entry.indexOf('\t'))).toList();
    }

    @Override
    public void close() {
        LoggerContext context = (LoggerContext) LogManager.getContext(false);
        context.getConfiguration().getRootLogger().removeAppender(getName());
        context.updateLoggers();
        stop();
    }
}
