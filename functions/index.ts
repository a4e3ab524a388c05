/**
 * The app's entry: loading this file registers every function. Azure loads its bundle
 * (`package.json` main); the local host loads it with a stand-in for the worker's core module.
 */
import './aksEventGrid';
import './aksEvents';
import './clusters';
import './dashboard';
import './defer';
import './approvals';
import './approvalTimer';
import './events';
import './dailyDigest';
import './fleetGateTimer';
import './fleetSweep';
import './health';
import './notificationDispatcher';
import './notifications';
import './planActionLinks';
import './planActions';
import './planApprovalLinks';
import './planPreflight';
import './plans';
import './sweepShard';
import './upgradeRunner';
import './waves';
