/** Public surface of the nemesis. Import from here. */
export { Nemesis, NEMESIS_TOXIC_PREFIX, type ActiveFault, type NemesisOptions } from './nemesis.js';
export { randomSchedule, SCHEDULE_FAULTS, PROCESS_SCHEDULE_FAULTS, type RandomScheduleOptions, type ScheduleFault, type Range } from './schedule.js';
export { partitionGroups, cutLinks, selectLinks, canTalk } from './partitions.js';
export * from './types.js';
export type { FaultPackage, PlannedFault, FaultContext } from './faults/types.js';
