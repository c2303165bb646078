// The routing key of Koji's task state messages, for the consumer's queue binding.

/** "<kojiTopicPrefix>.buildsys.task.state.change". */
export function kojiTaskBinding(bus: { kojiTopicPrefix: string }): string {
  return `${bus.kojiTopicPrefix}.buildsys.task.state.change`;
}
