export { paymentWorkflow } from './payment.js';
export { webhookDeliveryWorkflow } from './webhook-delivery.js';
export { refundsWorkflow } from './refunds.js';
