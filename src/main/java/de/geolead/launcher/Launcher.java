package de.geolead.launcher;

import de.geolead.GeoleadApplication;
import de.geolead.api.ApiTokens;
import de.geolead.config.DataKeysCommand;
import de.geolead.config.GeoleadSettings;
import de.geolead.config.StandaloneDatabase;
import de.geolead.receipts.ReceiptCommands;
import de.geolead.sandbox.Sandbox;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.Arrays;

/**
 * The jar's Main-Class: {@code java -jar geolead.jar} starts Geolead ({@link GeoleadApplication}),
 * {@code java -jar geolead.jar sandbox [--duration=90s]} the whole pipeline against stand-ins ({@link Sandbox}),
 * {@code java -jar geolead.jar api-token NAME ROLE TOKEN} prints a line of the operations API's tokens file ({@link ApiTokens}),
 * {@code java -jar geolead.jar rotate-data-keys} seals stored contacts and PDFs again with the current key of
 * GEOLEAD_DATA_KEYS ({@link DataKeysCommand}),
 * and {@code verify-receipt FILE}, {@code receipt-public-key} and {@code receipt-key} are the receipt commands ({@link ReceiptCommands}).
 * The only class that knows both, so that the application does not depend on the sandbox.
 */
public final class Launcher {

    static final String SANDBOX = "sandbox";
    static final String API_TOKEN = "api-token";
    static final String ROTATE_DATA_KEYS = "rotate-data-keys";

    private Launcher() {
    }

    public static void main(String[] args) {
        if (args.length > 0 && API_TOKEN.equals(args[0])) {
            System.exit(ApiTokens.command(Arrays.copyOfRange(args, 1, args.length), System.out, System.err));
        }
        if (args.length > 0 && ROTATE_DATA_KEYS.equals(args[0])) {
            System.exit(DataKeysCommand.command(Arrays.copyOfRange(args, 1, args.length), System.out, System.err));
        }
        if (args.length > 0 && ReceiptCommands.handles(args[0])) {
            System.exit(ReceiptCommands.run(args, receiptEnvironment(StandaloneDatabase.settings()), System.out, System.err));
        }
        String[] sandboxArgs = sandboxArgs(args);
        if (sandboxArgs == null) {
            GeoleadApplication.main(args);
            return;
        }
        try {
            Sandbox.main(sandboxArgs);
        } catch (Exception e) {
            LoggerFactory.getLogger(Launcher.class).error("The sandbox failed: {}", e.getMessage(), e);
            System.exit(1);
        }
    }

    /** The receipt commands' view of the settings: the key, the data directory and the database they name. */
    public static ReceiptCommands.Environment receiptEnvironment(GeoleadSettings settings) {
        return new ReceiptCommands.Environment() {
            @Override
            public String receiptKey() {
                return settings.receiptKey();
            }

            @Override
            public Path dataDir() {
                return settings.dataDir();
            }

            @Override
            public ReceiptCommands.OpenedDatabase openDatabase() {
                StandaloneDatabase.Opened opened = StandaloneDatabase.open(settings);
                return opened.database() == null ? new ReceiptCommands.OpenedDatabase(null, opened.whyNot(), null)
                        : new ReceiptCommands.OpenedDatabase(opened.database().database(), null, opened.database());
            }
        };
    }

    /** The sandbox's own arguments when the first argument is {@code sandbox}; null for a production start. */
    static String[] sandboxArgs(String[] args) {
        return args.length > 0 && SANDBOX.equals(args[0]) ? Arrays.copyOfRange(args, 1, args.length) : null;
    }
}
