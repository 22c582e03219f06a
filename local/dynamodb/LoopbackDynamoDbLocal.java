import java.lang.reflect.Field;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.util.Arrays;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

/**
 * Runs DynamoDB Local bound to 127.0.0.1 only, with telemetry off.
 *
 * <p>DynamoDB Local's own main (ServerRunner) has no bind option: its Jetty
 * server is built with {@code new Server(port)}, whose connector listens on
 * every interface, so anyone on the network could read and write the tables.
 * This launcher lets DynamoDB Local build its server from the usual command
 * line (port, -sharedDb, -inMemory or -dbPath), then binds that server's
 * connector to 127.0.0.1 before it starts, and checks the bound address
 * afterwards. (Its options, none of which binds an address:
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/DynamoDBLocal.UsageNotes.html)
 *
 * <p>Telemetry: {@code -disableTelemetry} is always added, so DynamoDB Local
 * never creates its telemetry client, and the server is started with
 * {@code safeStart()}, which starts Jetty without the start-up telemetry event
 * that {@code start()} sends. (Telemetry and how to turn it off:
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/DynamoDBLocalTelemetry.html)
 *
 * <p>Exit codes: 0 when stopped, 2 when the arguments are refused or the
 * server's shape is not the one this launcher knows (a new DynamoDB Local),
 * 3 when it is bound to anything but loopback, 1 for anything else thrown.
 */
public final class LoopbackDynamoDbLocal {
  private static final String HOST = "127.0.0.1";

  private LoopbackDynamoDbLocal() {}

  public static void main(String[] args) throws Exception {
    String[] withoutTelemetry = Arrays.copyOf(args, args.length + 1);
    withoutTelemetry[args.length] = "-disableTelemetry";
    DynamoDBProxyServer proxy;
    try {
      proxy = ServerRunner.createServerFromCommandLineArgs(withoutTelemetry);
    } catch (IllegalArgumentException | org.apache.commons.cli.ParseException e) {
      System.err.println("DynamoDB Local refused its arguments " + Arrays.toString(args) + ": " + e.getMessage());
      System.exit(2);
      return;
    }
    Server jetty = jettyOf(proxy);
    Connector[] connectors = jetty.getConnectors();
    if (connectors.length == 0) fail(2, "DynamoDB Local's Jetty server has no connector to bind.");
    for (Connector connector : connectors) {
      if (!(connector instanceof ServerConnector)) {
        fail(2, "DynamoDB Local's Jetty server has a connector this launcher cannot bind: " + connector.getClass().getName());
      }
      ((ServerConnector) connector).setHost(HOST);
    }
    proxy.safeStart();
    for (Connector connector : connectors) assertLoopback((ServerConnector) connector);
    proxy.join();
  }

  /** The Jetty server DynamoDBProxyServer keeps in a private field (found by type, not by name). */
  private static Server jettyOf(DynamoDBProxyServer proxy) throws IllegalAccessException {
    for (Field field : DynamoDBProxyServer.class.getDeclaredFields()) {
      if (field.getType() == Server.class) {
        field.setAccessible(true);
        Object value = field.get(proxy);
        if (value instanceof Server) return (Server) value;
      }
    }
    fail(2, "DynamoDBProxyServer has no Jetty Server field: this DynamoDB Local is not one the launcher knows.");
    return null;
  }

  private static void assertLoopback(ServerConnector connector) throws Exception {
    Object transport = connector.getTransport();
    SocketAddress bound = transport instanceof ServerSocketChannel ? ((ServerSocketChannel) transport).getLocalAddress() : null;
    InetAddress address = bound instanceof InetSocketAddress ? ((InetSocketAddress) bound).getAddress() : null;
    if (address == null || !address.isLoopbackAddress()) {
      fail(3, "DynamoDB Local is listening on " + bound + ", not on loopback only: stopping it.");
    }
  }

  private static void fail(int code, String message) {
    System.err.println(message);
    System.exit(code);
  }
}
