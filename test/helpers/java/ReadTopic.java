// A reference consumer for the delivery tests: the Apache Kafka Java client reads every
// partition of a topic from the beginning to its end offsets (with read_committed, the last
// stable offset) and prints each record value on one line. Run as a single source file:
//   java -cp '<kafka libs>/*' ReadTopic.java BOOTSTRAP TOPIC read_committed|read_uncommitted
import java.io.BufferedOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;

public class ReadTopic {
  public static void main(String[] args) {
    Properties props = new Properties();
    props.put("bootstrap.servers", args[0]);
    props.put("isolation.level", args[2]);
    props.put("enable.auto.commit", "false");
    props.put("max.poll.records", "5000");
    props.put("key.deserializer", StringDeserializer.class.getName());
    props.put("value.deserializer", StringDeserializer.class.getName());
    PrintStream out = new PrintStream(new BufferedOutputStream(System.out, 1 << 20), false, StandardCharsets.UTF_8);
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props)) {
      List<TopicPartition> partitions = new ArrayList<>();
      for (PartitionInfo p : consumer.partitionsFor(args[1])) partitions.add(new TopicPartition(p.topic(), p.partition()));
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
      long deadline = System.currentTimeMillis() + 300_000;
      while (true) {
        boolean done = true;
        for (TopicPartition tp : partitions) if (consumer.position(tp) < end.get(tp)) done = false;
        if (done) break;
        if (System.currentTimeMillis() > deadline) throw new RuntimeException("not at the end offsets after 300 s");
        for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(500))) out.println(r.value());
      }
    }
    out.flush();
  }
}
