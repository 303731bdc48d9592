package de.geolead.console;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.Console;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The console's users file: one line per user, {@code name = <password hash>, role1, role2}
 * (see {@link PasswordHash}); blank lines and lines starting with {@code #} are ignored.
 * {@link #main} prints such a line for ops.
 */
public final class ConsoleUsers {

    private static final Logger LOG = LoggerFactory.getLogger(ConsoleUsers.class);
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._@-]+");
    /** Hash of a random, discarded password: checked for unknown users so they take as long as a wrong password. */
    private static final String NO_USER_HASH =
            "pbkdf2-sha256$600000$vhUQ1x+L4CPpNptNJff2Dw$aDJiY54Qw1e8ypmTKzPMJsGXSZEJCkUfckayLazj0nI";

    private record User(String hash, List<String> roles) {
    }

    private final Map<String, User> users;

    private ConsoleUsers(Map<String, User> users) {
        this.users = users;
    }

    /** Reads {@code file}; a line that is not {@code name = hash, roles} is ignored with a warning. */
    public static ConsoleUsers read(Path file) throws IOException {
        Map<String, User> users = new HashMap<>();
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int equals = line.indexOf('=');
            String name = equals < 0 ? "" : line.substring(0, equals).strip();
            List<String> values = equals < 0 ? List.of() : Arrays.stream(line.substring(equals + 1).split(","))
                    .map(String::strip).filter(value -> !value.isEmpty()).toList();
            if (!NAME.matcher(name).matches() || values.isEmpty()) {
                // the line number only: the line itself holds a password hash
                LOG.warn("Console users file {}: line {} is not 'name = hash, role, ...' and is ignored", file, i + 1);
                continue;
            }
            users.put(name, new User(values.get(0), values.subList(1, values.size())));
        }
        return new ConsoleUsers(users);
    }

    /**
     * The roles of {@code name} if {@code password} is right. An unknown user and a wrong password give the
     * same empty answer after the same work.
     */
    public Optional<List<String>> authenticate(String name, char[] password) {
        User user = name == null ? null : users.get(name);
        boolean matches = PasswordHash.matches(password, user == null ? NO_USER_HASH : user.hash());
        return matches && user != null ? Optional.of(user.roles()) : Optional.empty();
    }

    /** A users-file line for {@code name} with a new hash of {@code password}. */
    public static String line(String name, char[] password, List<String> roles) {
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("A user name may hold letters, digits and . _ @ - only: " + name);
        }
        StringBuilder line = new StringBuilder(name).append(" = ").append(PasswordHash.create(password));
        roles.forEach(role -> line.append(", ").append(role));
        return line.toString();
    }

    /**
     * Prints a users-file line: {@code ConsoleUsers <user> <password> <role>[,<role>...]}.
     * A password of {@code -} is asked for without echo, which keeps it out of the shell history.
     */
    public static void main(String[] args) {
        if (args.length < 3) {
            System.err.println("usage: java -cp 'target/geolead.jar:target/lib/*' " + ConsoleUsers.class.getName()
                    + " <user> <password|-> <role>[,<role>...]   (roles that may log in: admin, viewer)");
            System.exit(2);
        }
        char[] password = args[1].toCharArray();
        if (args[1].equals("-")) {
            Console console = System.console();
            if (console == null) {
                System.err.println("No terminal to ask for the password on; give it as the second argument");
                System.exit(2);
            }
            password = console.readPassword("Password for %s: ", args[0]);
        }
        List<String> roles = Arrays.stream(args, 2, args.length)
                .flatMap(arg -> Arrays.stream(arg.split(","))).map(String::strip).filter(role -> !role.isEmpty()).toList();
        System.out.println(line(args[0], password, roles));
    }
}
