export {
	conditionalHeaders,
	errorBody,
	excerpt,
	jsonKind,
	MAX_VALIDATOR_LENGTH,
	parseJson,
	pathSegment,
	validatorsOf,
	type Validators,
} from './answer';
export {
	callDeadline,
	checkTimeout,
	declaredLength,
	DEFAULT_TIMEOUT_MS,
	downloadDeadline,
	MIN_TIMEOUT_MS,
} from './deadline';
export {
	attemptsNote,
	callName,
	describeFailure,
	explainWith,
	withOutcomeNote,
	type Explained,
	type FailureReport,
} from './describe';
export { cutOffStatus, networkProblem, type CallFailure } from './failure';
export { MAX_RETRY_AFTER_SECONDS, type RetryPolicy } from './policy';
export {
	callError,
	httpCall,
	type BinaryStream,
	type Download,
	type HttpAnswer,
	type HttpCall,
	type HttpContext,
	type Service,
} from './request';
export { scrubDeep, scrubText } from './scrub';
