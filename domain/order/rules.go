package order

// Rule ids carried by every error of this package (es.Error.Rule). They are part
// of the API: clients may branch on them, so they never change meaning.
const (
	// RuleRequired: a required field is missing or blank. Code Invalid.
	RuleRequired = "order.field_required"
	// RuleTooLong: a field exceeds its limit (see limits.go). Code Invalid.
	RuleTooLong = "order.field_too_long"
	// RuleFormat: a field has characters or a shape it may not have. Code Invalid.
	RuleFormat = "order.field_format"
	// RuleQuantityRange: a quantity is not in 1..MaxQuantity. Code Invalid; Rejected
	// when the merged line of AddItem would exceed it.
	RuleQuantityRange = "order.quantity_range"
	// RuleAmountRange: an amount is negative or above MaxAmount. Code Invalid.
	RuleAmountRange = "order.amount_range"
	// RuleAmountOverflow: a line total or the order total would exceed MaxAmount.
	// Code Invalid for PlaceOrder; Rejected for AddItem, whose sum includes the order's lines.
	RuleAmountOverflow = "order.amount_overflow"
	// RuleDiscountExceedsLine: a discount is larger than unitPrice*quantity. Code Invalid.
	RuleDiscountExceedsLine = "order.discount_exceeds_line"
	// RuleTooManyItems: an order would have more than MaxItems lines. Code Invalid
	// for PlaceOrder; Rejected for AddItem on a full order.
	RuleTooManyItems = "order.too_many_items"
	// RuleDuplicateItem: a product appears twice in the items of PlaceOrder. Code Invalid.
	RuleDuplicateItem = "order.duplicate_item"
	// RuleCurrencyMismatch: an amount is not in the order's currency. Code Invalid
	// within PlaceOrder; Rejected against a placed order's currency.
	RuleCurrencyMismatch = "order.currency_mismatch"
	// RuleUnitPriceMismatch: a product is added again with another unit price. Code Rejected.
	RuleUnitPriceMismatch = "order.unit_price_mismatch"
	// RuleAmountMismatch: a payment does not equal the order total. Code Rejected.
	RuleAmountMismatch = "order.amount_mismatch"
	// RuleIDMismatch: the command's orderId is not the loaded order's id. Code Invalid.
	RuleIDMismatch = "order.id_mismatch"
	// RuleNotFound: the order has not been placed. Code NotFound.
	RuleNotFound = "order.not_found"
	// RuleItemNotFound: the product is not in the order. Code NotFound.
	RuleItemNotFound = "order.item_not_found"
	// RuleAlreadyPlaced: an order with this id exists. Code Conflict.
	RuleAlreadyPlaced = "order.already_placed"
	// RuleAlreadyPaid: the order is paid, so items and payment are final. Code Rejected.
	RuleAlreadyPaid = "order.already_paid"
	// RuleAlreadyShipped: the order has shipped, which is final. Code Rejected.
	RuleAlreadyShipped = "order.already_shipped"
	// RuleAlreadyCancelled: the order is cancelled, which is final. Code Rejected.
	RuleAlreadyCancelled = "order.already_cancelled"
	// RuleNotPaid: shipping needs a paid order. Code Rejected.
	RuleNotPaid = "order.not_paid"
	// RuleEmpty: paying needs at least one item. Code Rejected.
	RuleEmpty = "order.empty"
	// RuleCorruptHistory: stored events cannot be applied. Code Internal.
	RuleCorruptHistory = "order.corrupt_history"
)
