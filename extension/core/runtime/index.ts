export { loadOrt, ortVersion, RuntimeUnavailableError, type OrtModule } from './loader';
export { autoProviders, parseProviderSetting, requestedProviders, providerPrecheck, type ProviderSetting } from './providers';
export { asResourceError, openSession, ortFailureReason, type OpenedSession, type SessionOptions } from './session';
export { syntheticFeeds, runForward, maxRelativeDifference, seededRandom, type PlainTensor, type ForwardResult } from './forward';
export { physicalCores, sessionThreads, LARGE_MODEL_BYTES } from './machine';
