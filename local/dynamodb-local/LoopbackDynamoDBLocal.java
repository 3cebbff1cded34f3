// Starts AWS's DynamoDB Local listening on 127.0.0.1 only. DynamoDB Local has no bind-address option: its
// Jetty server listens on every interface, which would expose the local state table to the network. This
// builds the server exactly as DynamoDBLocal.jar's own main does, pins its connectors to loopback before
// starting it, and skips the telemetry set-up (nothing leaves the machine). Run with Java's single-file
// source launcher (`java -cp <DynamoDBLocal.jar and its libs> LoopbackDynamoDBLocal.java <its usual args>`),
// by local/emulators.ts.
import java.lang.reflect.Field;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

public class LoopbackDynamoDBLocal {
  public static void main(String[] args) throws Exception {
    DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(args);
    Field field = DynamoDBProxyServer.class.getDeclaredField("server");
    field.setAccessible(true);
    Server server = (Server) field.get(proxy);
    for (Connector connector : server.getConnectors()) {
      ((ServerConnector) connector).setHost("127.0.0.1");
    }
    proxy.start();
  }
}
