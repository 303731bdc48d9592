package de.geolead.api;

import de.geolead.console.PasswordHash;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedReader;
import java.io.Console;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.regex.Pattern;

/**
 * The operations API's tokens file ({@code GEOLEAD_API_TOKENS_FILE}): one line per token,
 * {@code name,role,hash} with role {@code admin} or {@code viewer} and the token's salted PBKDF2 hash
 * ({@link PasswordHash}, the console's helper); blank lines and {@code #} comments are ignored.
 * {@code java -jar geolead.jar api-token NAME ROLE TOKEN} prints such a line ({@code -} as TOKEN reads it without echo).
 *
 * <p>A PBKDF2 check costs about half a second of CPU, so a token that matched once is remembered by its SHA-256 for
 * the life of the process (the hash of a secret with 128+ bits of entropy, never the token itself). Unknown tokens are
 * checked one at a time ({@link #unknownChecks}): guessing costs an attacker at most one core, never the whole machine,
 * and a token that failed recently is refused at once.
 */
public final class ApiTokens {

    private static final Logger LOG = LoggerFactory.getLogger(ApiTokens.class);
    static final Pattern NAME = Pattern.compile("[A-Za-z0-9._@-]{1,64}");
    /** Tokens shorter than this are refused by the command: a guessable token is no token. */
    static final int MIN_TOKEN_LENGTH = 20;
    private static final int REMEMBERED_FAILURES = 10_000;

    private record Entry(ApiUser user, String hash) {
    }

    private final List<Entry> entries;
    private final Map<String, ApiUser> verified = new ConcurrentHashMap<>();
    private final Map<String, Boolean> failed = new ConcurrentHashMap<>();
    private final Semaphore unknownChecks = new Semaphore(1, true);

    private ApiTokens(List<Entry> entries) {
        this.entries = List.copyOf(entries);
    }

    /** Reads {@code file}; a line that is not {@code name,role,hash} is ignored with a warning naming its number. */
    public static ApiTokens read(Path file) throws IOException {
        List<Entry> entries = new ArrayList<>();
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] parts = line.split(",", -1);
            if (parts.length != 3 || !NAME.matcher(parts[0].strip()).matches() || !isRole(parts[1].strip())
                    || parts[2].isBlank()) {
                // the line number only: the line holds a hash
                LOG.warn("API tokens file {}: line {} is not 'name,role,hash' with role admin or viewer and is ignored", file, i + 1);
                continue;
            }
            entries.add(new Entry(new ApiUser(parts[0].strip(), parts[1].strip()), parts[2].strip()));
        }
        return new ApiTokens(entries);
    }

    /** How many valid lines the file had. */
    public int size() {
        return entries.size();
    }

    /** The user whose token this is; empty for a missing, empty or unknown token. */
    public Optional<ApiUser> authenticate(String token) {
        if (token == null || token.isEmpty() || token.length() > 1024) {
            return Optional.empty();
        }
        String digest = sha256(token);
        ApiUser known = verified.get(digest);
        if (known != null) {
            return Optional.of(known);
        }
        if (failed.containsKey(digest)) {
            return Optional.empty();
        }
        unknownChecks.acquireUninterruptibly();
        try {
            known = verified.get(digest);
            if (known != null) {
                return Optional.of(known);
            }
            for (Entry entry : entries) {
                if (PasswordHash.matches(token.toCharArray(), entry.hash())) {
                    verified.put(digest, entry.user());
                    return Optional.of(entry.user());
                }
            }
            if (failed.size() >= REMEMBERED_FAILURES) {
                failed.clear();
            }
            failed.put(digest, Boolean.TRUE);
            return Optional.empty();
        } finally {
            unknownChecks.release();
        }
    }

    /** The file line for a token: {@code name,role,hash}. */
    public static String line(String name, String role, char[] token) {
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("NAME must be 1-64 of A-Z a-z 0-9 . _ @ -");
        }
        if (!isRole(role)) {
            throw new IllegalArgumentException("ROLE must be admin or viewer");
        }
        if (token.length < MIN_TOKEN_LENGTH) {
            throw new IllegalArgumentException("TOKEN must be at least " + MIN_TOKEN_LENGTH + " characters (e.g. openssl rand -hex 24)");
        }
        return name + "," + role + "," + PasswordHash.create(token);
    }

    /**
     * {@code api-token NAME ROLE TOKEN}: prints the file line on {@code out}; {@code -} as TOKEN reads it from the
     * console without echo (or from standard input when there is no console). Returns the exit code.
     */
    public static int command(String[] args, PrintStream out, PrintStream err) {
        if (args.length != 3) {
            err.println("usage: java -jar geolead.jar api-token NAME ROLE TOKEN   (ROLE admin or viewer; TOKEN - reads it without echo)");
            return 2;
        }
        try {
            char[] token = "-".equals(args[2]) ? readToken() : args[2].toCharArray();
            out.println(line(args[0], args[1], token));
            return 0;
        } catch (IllegalArgumentException | IOException e) {
            err.println("api-token: " + e.getMessage());
            return 2;
        }
    }

    private static char[] readToken() throws IOException {
        Console console = System.console();
        if (console != null) {
            char[] token = console.readPassword("Token: ");
            return token == null ? new char[0] : token;
        }
        String line = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
        return line == null ? new char[0] : line.strip().toCharArray();
    }

    private static boolean isRole(String role) {
        return ApiUser.ADMIN.equals(role) || ApiUser.VIEWER.equals(role);
    }

    private static String sha256(String token) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
