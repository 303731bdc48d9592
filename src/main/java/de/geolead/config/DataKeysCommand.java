package de.geolead.config;

import de.geolead.privacy.DataCipher;
import de.geolead.privacy.DataKeyRotation;
import de.geolead.privacy.DataKeys;

import java.io.PrintStream;

/**
 * {@code java -jar geolead.jar rotate-data-keys}: reads the settings as a start does, opens the database beside the
 * running instances ({@link StandaloneDatabase}) and runs {@link DataKeyRotation}, printing its counts and the ids of
 * unreadable leads (never a value or a key). Exit code 0 when every contact and lead sheet is under the current key,
 * 1 when some are not (unreadable ones, or rows that kept changing: run again), 2 on bad usage or configuration.
 */
public final class DataKeysCommand {

    private DataKeysCommand() {
    }

    /** The command: usage, settings and database, the run, its lines; returns the exit code. */
    public static int command(String[] args, PrintStream out, PrintStream err) {
        if (args.length != 0) {
            err.println("usage: java -jar geolead.jar rotate-data-keys   (GEOLEAD_DATA_KEYS and the database settings as for a start)");
            return 2;
        }
        GeoleadSettings settings;
        try {
            settings = StandaloneDatabase.settings();
        } catch (RuntimeException e) {
            err.println("rotate-data-keys: the settings cannot be read: " + e.getMessage());
            return 2;
        }
        return command(settings, out, err);
    }

    /** The command with the settings given (a test's). */
    public static int command(GeoleadSettings settings, PrintStream out, PrintStream err) {
        DataKeys keys;
        try {
            keys = DataKeys.parse(settings.dataKeys());
        } catch (IllegalArgumentException e) {
            err.println("rotate-data-keys: " + e.getMessage());
            return 2;
        }
        if (!keys.enabled()) {
            err.println("rotate-data-keys: " + DataKeys.VARIABLE + " is not set: there is no key to rotate to "
                    + "(put the new key first: newid:<openssl rand -base64 32>,oldid:<old key>)");
            return 2;
        }
        try (StandaloneDatabase database = StandaloneDatabase.openCurrent(settings)) {
            out.println("rotate-data-keys: sealing with key '" + keys.currentId() + "', reading with " + keys.ids());
            DataKeyRotation.Result result = new DataKeyRotation(database.database(), new DataCipher(keys), DataKeyRotation.BATCH).run();
            result.lines().forEach(out::println);
            return result.exitCode();
        } catch (RuntimeException e) {
            err.println("rotate-data-keys: " + e.getMessage());
            return 2;
        }
    }

}
