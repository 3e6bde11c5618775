export { BaseError } from './base.js';
