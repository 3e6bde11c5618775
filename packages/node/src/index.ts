export { startNode, type NodeOptions, type VerityNode, type Job, type JobState, type Logger } from './node.js';
