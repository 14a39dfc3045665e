/**
 * A host's event record as the run streams it. The coordinator's own copy (`toEvent` in
 * main/superstep/coordinator.ts) predates this module and should move here once that file's rewrite lands.
 */
import type { CustomEvent, WarningEvent } from './events.ts';
import type { HostEvent } from './protocol.ts';

/** `event`, emitted in `superstep`, as the `custom` or `warning` event a run's stream carries. */
export function toWorkflowEvent(event: HostEvent, superstep: number): CustomEvent | WarningEvent {
  switch (event[0]) {
    case 'custom':
      return { type: 'custom', executorId: event[1], superstep, name: event[2], data: event[3] };
    case 'warning':
      return { type: 'warning', code: event[1], message: event[2], superstep, details: event[3] };
  }
}
