export { paymentWorkflow, webhookDeliveryWorkflow } from './payment.js';
